// A backend of your own: the skeleton that satisfies svlrm::backend::coefficient_backend
// (docs/backends.md). This one delegates to the reference backend and counts calls;
// a real one would run the network on its own hardware or library. It passes the
// conformance suite every backend passes (tests/test_custom_backend.cpp).
#pragma once

#include <svlrm/svlrm.hpp>

#include <atomic>
#include <cstdio>
#include <memory>

struct counting_options {
    bool verbose = false;
};

class counting_backend {
public:
    using options = counting_options;
    static constexpr std::string_view name = "counting";

    counting_backend(const svlrm::model& m, const options& o) : inner_(m), options_(o) {}

    // Must be const and safe to call from several threads at once.
    void infer(const svlrm::backend::network_input& in, const svlrm::backend::network_output& out) const {
        calls_->fetch_add(1);
        if (options_.verbose) std::printf("infer %td x %td\n", in.width, in.height);
        inner_.infer(in, out);
    }
    long calls() const { return calls_->load(); }

private:
    svlrm::backend::reference inner_;
    options options_;
    std::shared_ptr<std::atomic<long>> calls_ = std::make_shared<std::atomic<long>>(0);
};

static_assert(svlrm::backend::coefficient_backend<counting_backend>);
