// A one-line progress bar on stderr for tiled and batch runs, fed by
// svlrm::filter_options::progress. It draws only when enabled (a terminal, or
// --progress) and ends its line before anything else is printed to stderr.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

#include <unistd.h>

namespace svlrm_cli {

inline bool isatty_stderr() { return ::isatty(2) != 0; }

class progress_bar {
public:
    explicit progress_bar(bool enabled) : enabled_(enabled) {}
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;
    ~progress_bar() { finish(); }

    void set_label(std::string label) { label_ = std::move(label); }

    // Draws done/total; a single step (total <= 1) is not worth a bar. Returns true:
    // the tool never cancels a run.
    bool update(std::ptrdiff_t done, std::ptrdiff_t total) {
        if (!enabled_ || total <= 1) return true;
        constexpr int width = 30;
        const int filled = int(width * done / total);
        std::string bar(std::size_t(filled), '=');
        if (filled < width) bar += '>' + std::string(std::size_t(width - filled - 1), ' ');
        std::fprintf(stderr, "\r%s [%s] %3d%% (%td/%td)", label_.c_str(), bar.c_str(), int(100 * done / total), done,
                     total);
        std::fflush(stderr);
        drawn_ = true;
        return true;
    }

    // Ends the bar's line, so that the next message starts on a fresh one.
    void finish() {
        if (drawn_) std::fputc('\n', stderr);
        drawn_ = false;
    }

private:
    bool enabled_;
    bool drawn_ = false;
    std::string label_;
};

}  // namespace svlrm_cli
