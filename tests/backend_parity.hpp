// What every backend test compares against the reference backend: F, alpha and
// beta of one joint_filter::apply, and their relative L2 distance.
#pragma once

#include <svlrm/image.hpp>

#include "support.hpp"

namespace svlrm_test {

struct filter_result {
    svlrm::image<float> f, alpha, beta;
};

template <class Filter>
filter_result run_filter(const Filter& filter, const svlrm::image<float>& guide, const svlrm::image<float>& input) {
    const long w = input.width(), h = input.height();
    filter_result r{svlrm::image<float>(w, h), svlrm::image<float>(w, h), svlrm::image<float>(w, h)};
    filter.apply(guide.view(), input.view(), r.f.view(), r.alpha.view(), r.beta.view());
    return r;
}

inline double rel(const svlrm::image<float>& a, const svlrm::image<float>& b) {
    return rel_l2(a.data(), b.data(), std::size_t(a.width() * a.height() * a.channels()));
}

}  // namespace svlrm_test
