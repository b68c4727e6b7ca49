// svlrm: the command-line tool. `svlrm <command> ...`; see docs/cli.md.
// Exit codes: 0 success, 1 runtime error (files, sizes, models, backends),
// 2 usage error (the command line itself). Every error is one line on stderr.
#include "arguments.hpp"
#include "commands.hpp"
#include "smooth.hpp"
#include "compare.hpp"
#include "info.hpp"

#include <svlrm/config.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace {

std::vector<svlrm_cli::command> all_commands() {
    std::vector<svlrm_cli::command> c = svlrm_cli::network_commands();
    for (auto& b : svlrm_cli::baseline_commands()) c.push_back(std::move(b));
    c.push_back(svlrm_cli::smooth_command());
    c.push_back(svlrm_cli::compare_command());
    c.push_back(svlrm_cli::info_command());
    return c;
}

void print_usage(const std::vector<svlrm_cli::command>& commands) {
    std::printf("usage: svlrm <command> [arguments] [options]\n\n"
                "Joint filtering with spatially variant linear representation models (Pan et al., CVPR 2019)\n"
                "and the baselines it is compared with.\n\ncommands:\n");
    for (const auto& c : commands) std::printf("  %-12s %s\n", c.name.c_str(), c.summary.c_str());
    std::printf("\n`svlrm <command> --help` describes a command. Exit codes: 0 success, 1 runtime error, 2 usage "
                "error.\n");
}

// One line: messages from nested libraries may carry newlines.
int fail(int code, std::string message) {
    for (char& ch : message)
        if (ch == '\n' || ch == '\r') ch = ' ';
    std::fprintf(stderr, "svlrm: error: %s\n", message.c_str());
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    const auto commands = all_commands();
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        print_usage(commands);
        return 2;
    }
    if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        print_usage(commands);
        return 0;
    }
    if (args[0] == "--version") {
        std::printf("svlrm %d.%d.%d\n", svlrm::version.major, svlrm::version.minor, svlrm::version.patch);
        return 0;
    }
    for (const auto& c : commands) {
        if (c.name != args[0]) continue;
        try {
            const svlrm_cli::arguments parsed({args.begin() + 1, args.end()}, c.options);
            if (parsed.help()) {
                std::fputs(svlrm_cli::help_text(c.usage, c.description, c.options).c_str(), stdout);
                return 0;
            }
            return c.run(parsed);
        } catch (const svlrm_cli::usage_error& e) {
            return fail(2, c.name + ": " + e.what());
        } catch (const std::exception& e) {
            return fail(1, e.what());
        }
    }
    return fail(2, "unknown command '" + args[0] + "' (see svlrm --help)");
}
