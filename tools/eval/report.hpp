// Result tables for docs/results.md: one row per method, mean metrics over a set.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace svlrm_eval {

struct metrics {
    double psnr = 0, ssim = 0, rmse = 0;  // RMSE on 0..255
};

// Accumulates per-image metrics per method, in the order methods first appear.
class table {
public:
    void add(const std::string& method, const metrics& m) {
        if (!sums_.count(method)) order_.push_back(method);
        auto& s = sums_[method];
        s.psnr += m.psnr;
        s.ssim += m.ssim;
        s.rmse += m.rmse;
        ++counts_[method];
    }
    metrics mean(const std::string& method) const {
        metrics s = sums_.at(method);
        const double n = counts_.at(method);
        return {s.psnr / n, s.ssim / n, s.rmse / n};
    }
    const std::vector<std::string>& methods() const { return order_; }
    int count(const std::string& method) const { return counts_.at(method); }

private:
    std::vector<std::string> order_;
    std::map<std::string, metrics> sums_;
    std::map<std::string, int> counts_;
};

inline std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

}  // namespace svlrm_eval
