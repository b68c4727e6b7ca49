// Command-line parsing for the svlrm tool: each subcommand declares its options;
// the parser splits argv into positional arguments and options and hands out typed,
// range-checked values. Anything wrong with the command line is a usage_error (exit 2).
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace svlrm_cli {

class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct option_spec {
    std::string name;        // without the leading "--"
    std::string value_name;  // empty for a flag
    std::string help;
};

class arguments {
public:
    // args: everything after the subcommand. "--name value", "--name=value", "--flag";
    // "--" ends the options; "-h" and "--help" ask for help.
    arguments(const std::vector<std::string>& args, const std::vector<option_spec>& specs) {
        bool options_done = false;
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (options_done || a.size() < 2 || a[0] != '-') {
                positional_.push_back(a);
                continue;
            }
            if (a == "--") {
                options_done = true;
                continue;
            }
            if (a == "-h" || a == "--help") {
                help_ = true;
                continue;
            }
            if (a.rfind("--", 0) != 0) throw usage_error("unknown option '" + a + "'");
            const std::size_t eq = a.find('=');
            const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
            const option_spec* spec = find(specs, name);
            if (!spec) throw usage_error("unknown option '--" + name + "' (see --help)");
            if (values_.count(name)) throw usage_error("option '--" + name + "' is given twice");
            if (spec->value_name.empty()) {
                if (eq != std::string::npos) throw usage_error("option '--" + name + "' takes no value");
                values_[name] = "";
            } else if (eq != std::string::npos) {
                values_[name] = a.substr(eq + 1);
            } else {
                if (i + 1 == args.size()) throw usage_error("option '--" + name + "' needs a value " + spec->value_name);
                values_[name] = args[++i];
            }
        }
    }

    bool help() const { return help_; }
    const std::vector<std::string>& positional() const { return positional_; }
    bool has(const std::string& name) const { return values_.count(name) != 0; }

    std::optional<std::string> text(const std::string& name) const {
        const auto it = values_.find(name);
        if (it == values_.end()) return std::nullopt;
        if (it->second.empty()) throw usage_error("option '--" + name + "' has an empty value");
        return it->second;
    }

    // A finite number in [lo, hi] (lo excluded when lo_open).
    double number(const std::string& name, double fallback, double lo, double hi, bool lo_open = false) const {
        const auto t = text(name);
        if (!t) return fallback;
        double v = 0;
        const auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
        const bool in_range = lo_open ? v > lo : v >= lo;
        if (ec != std::errc{} || p != t->data() + t->size() || !std::isfinite(v) || !in_range || v > hi)
            throw usage_error("option '--" + name + "' must be a number " + range_text(lo, hi, lo_open) + ", not '" +
                              *t + "'");
        return v;
    }

    long integer(const std::string& name, long fallback, long lo, long hi) const {
        const auto t = text(name);
        if (!t) return fallback;
        long v = 0;
        const auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
        if (ec != std::errc{} || p != t->data() + t->size() || v < lo || v > hi)
            throw usage_error("option '--" + name + "' must be an integer in " + std::to_string(lo) + ".." +
                              std::to_string(hi) + ", not '" + *t + "'");
        return v;
    }

    // One of `choices`, or nullopt when the option is absent.
    std::optional<std::string> choice(const std::string& name, const std::vector<std::string>& choices) const {
        const auto t = text(name);
        if (!t) return std::nullopt;
        for (const auto& c : choices)
            if (c == *t) return t;
        std::string list;
        for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
        throw usage_error("option '--" + name + "' must be one of " + list + ", not '" + *t + "'");
    }

private:
    std::vector<std::string> positional_;
    std::map<std::string, std::string> values_;
    bool help_ = false;

    static const option_spec* find(const std::vector<option_spec>& specs, const std::string& name) {
        for (const auto& s : specs)
            if (s.name == name) return &s;
        return nullptr;
    }
    static std::string range_text(double lo, double hi, bool lo_open) {
        auto fmt = [](double v) {
            char b[32];
            std::snprintf(b, sizeof b, "%g", v);
            return std::string(b);
        };
        if (hi == HUGE_VAL) return std::string(lo_open ? "> " : ">= ") + fmt(lo);
        return std::string("in ") + (lo_open ? "(" : "[") + fmt(lo) + ", " + fmt(hi) + "]";
    }
};

// The help text of a subcommand: usage line, description, one line per option.
inline std::string help_text(const std::string& usage, const std::string& description,
                             const std::vector<option_spec>& specs) {
    std::string t = "usage: " + usage + "\n\n";
    std::size_t column = 0;  // the description, wrapped at 88 columns
    for (std::size_t at = 0; at < description.size();) {
        const std::size_t end = std::min(description.find(' ', at), description.size());
        const std::string word = description.substr(at, end - at);
        if (column > 0 && column + 1 + word.size() > 88) t += "\n", column = 0;
        else if (column > 0) t += ' ', ++column;
        t += word;
        column += word.size();
        at = end + 1;
    }
    t += "\n\noptions:\n";
    for (const auto& s : specs) {
        std::string left = "  --" + s.name + (s.value_name.empty() ? "" : " " + s.value_name);
        if (left.size() < 28) left.resize(28, ' ');
        else left += "\n" + std::string(28, ' ');
        t += left + s.help + "\n";
    }
    t += "  -h, --help                print this help\n";
    return t;
}

}  // namespace svlrm_cli
