// A strict, bounded JSON reader for safetensors headers (RFC 8259).
// Model files come from the internet, so the reader is defensive: recursion depth
// is limited, duplicate object keys are an error (other readers silently keep the
// last one, which lets two tools see two different models in one file), and every
// failure names the byte offset.
#pragma once

#include <svlrm/error.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace svlrm::detail {

struct json_value {
    enum class kind { null, boolean, number, string, array, object };
    kind type = kind::null;
    bool boolean = false;
    std::string text;                 // string value, or the number's literal text
    std::vector<json_value> items;    // array elements, or object values
    std::vector<std::string> keys;    // object keys, parallel to items

    const json_value* find(std::string_view key) const {
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == key) return &items[i];
        return nullptr;
    }
};

class json_reader {
public:
    static constexpr int max_depth = 8;

    json_reader(std::string_view text, std::string where) : s_(text), where_(std::move(where)) {}

    json_value parse() {
        skip_ws();
        json_value v = value(0);
        skip_ws();
        if (pos_ != s_.size()) fail("unexpected data after the JSON value");
        return v;
    }

private:
    std::string_view s_;
    std::string where_;
    std::size_t pos_ = 0;

    [[noreturn]] void fail(const std::string& what) const {
        throw model_error(where_ + ": malformed JSON header at byte " + std::to_string(pos_) + ": " + what);
    }
    bool at_end() const { return pos_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[pos_]; }
    void skip_ws() {
        while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
    }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    void literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) fail("invalid literal");
        pos_ += word.size();
    }

    json_value value(int depth) {
        if (depth > max_depth) fail("nesting deeper than " + std::to_string(max_depth));
        json_value v;
        switch (peek()) {
            case '{': object(v, depth); break;
            case '[': array(v, depth); break;
            case '"': v.type = json_value::kind::string; v.text = string(); break;
            case 't': literal("true"); v.type = json_value::kind::boolean; v.boolean = true; break;
            case 'f': literal("false"); v.type = json_value::kind::boolean; break;
            case 'n': literal("null"); break;
            default:
                if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
                    v.type = json_value::kind::number;
                    v.text = number();
                } else {
                    fail(at_end() ? "unexpected end" : "unexpected character");
                }
        }
        return v;
    }

    void object(json_value& v, int depth) {
        v.type = json_value::kind::object;
        expect('{');
        skip_ws();
        if (peek() == '}') { ++pos_; return; }
        for (;;) {
            skip_ws();
            if (peek() != '"') fail("expected a string key");
            std::string key = string();
            for (const auto& k : v.keys)
                if (k == key) fail("duplicate key \"" + key + "\"");
            skip_ws();
            expect(':');
            skip_ws();
            v.keys.push_back(std::move(key));
            v.items.push_back(value(depth + 1));
            skip_ws();
            if (peek() == ',') { ++pos_; continue; }
            expect('}');
            return;
        }
    }

    void array(json_value& v, int depth) {
        v.type = json_value::kind::array;
        expect('[');
        skip_ws();
        if (peek() == ']') { ++pos_; return; }
        for (;;) {
            skip_ws();
            v.items.push_back(value(depth + 1));
            skip_ws();
            if (peek() == ',') { ++pos_; continue; }
            expect(']');
            return;
        }
    }

    std::string number() {
        const std::size_t start = pos_;
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') ++pos_;
        } else {
            fail("invalid number");
        }
        if (peek() == '.') {
            ++pos_;
            if (!(peek() >= '0' && peek() <= '9')) fail("invalid number");
            while (peek() >= '0' && peek() <= '9') ++pos_;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!(peek() >= '0' && peek() <= '9')) fail("invalid number");
            while (peek() >= '0' && peek() <= '9') ++pos_;
        }
        return std::string(s_.substr(start, pos_ - start));
    }

    unsigned hex4() {
        unsigned u = 0;
        for (int i = 0; i < 4; ++i, ++pos_) {
            const char c = peek();
            u <<= 4;
            if (c >= '0' && c <= '9') u |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') u |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') u |= unsigned(c - 'A' + 10);
            else fail("invalid \\u escape");
        }
        return u;
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    std::string string() {
        expect('"');
        std::string out;
        for (;;) {
            if (at_end()) fail("unterminated string");
            const char c = s_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
            if (c != '\\') { out += c; continue; }
            if (at_end()) fail("unterminated escape");
            const char e = s_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t cp = hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF) {  // surrogate pair
                        if (s_.substr(pos_, 2) != "\\u") fail("unpaired surrogate");
                        pos_ += 2;
                        const std::uint32_t lo = hex4();
                        if (lo < 0xDC00 || lo > 0xDFFF) fail("unpaired surrogate");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail("unpaired surrogate");
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: fail("invalid escape");
            }
        }
    }
};

// Parses a JSON number literal as an unsigned 64-bit integer; false when it is not
// a plain non-negative integer literal or does not fit.
inline bool json_to_u64(const json_value& v, std::uint64_t& out) {
    if (v.type != json_value::kind::number || v.text.empty()) return false;
    std::uint64_t r = 0;
    for (char c : v.text) {
        if (c < '0' || c > '9') return false;
        const std::uint64_t d = std::uint64_t(c - '0');
        if (r > (UINT64_MAX - d) / 10) return false;
        r = r * 10 + d;
    }
    out = r;
    return true;
}

}  // namespace svlrm::detail
