// any_joint_filter: a joint_filter<Backend> whose backend is chosen at run time (by
// name, <svlrm/backends.hpp>), behind one type. Copies share the filter; apply is
// const and may be called from several threads at once, as joint_filter's.
#pragma once

#include <svlrm/image.hpp>
#include <svlrm/joint_filter.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <variant>

namespace svlrm {

class any_joint_filter {
public:
    using any_input = std::variant<image_view<const std::uint8_t>, image_view<const std::uint16_t>,
                                   image_view<const float>>;
    using any_output = std::variant<image_view<std::uint8_t>, image_view<std::uint16_t>, image_view<float>>;

    template <class Backend>
    explicit any_joint_filter(joint_filter<Backend> filter)
        : impl_(std::make_shared<const typed<Backend>>(std::move(filter))) {}

    std::string_view backend_name() const { return impl_->backend_name(); }
    // The mode that runs, in the backend's words ("exact", "fast", "fp32"); empty for
    // a backend that has no modes.
    const std::string& precision_name() const { return impl_->precision_name(); }
    // "onednn (fast)", "reference": what a program prints to say what ran.
    std::string description() const {
        const std::string b(backend_name());
        return precision_name().empty() ? b : b + " (" + precision_name() + ")";
    }
    const model& get_model() const { return impl_->get_model(); }
    const filter_options& options() const { return impl_->options(); }

    // joint_filter::apply for any pixel types of the three views.
    void apply(any_input guide, any_input input, any_output out) const {
        impl_->run(guide, input, out, nullptr, nullptr, nullptr);
    }
    void apply(any_input guide, any_input input, any_output out, image_view<float> alpha,
               image_view<float> beta) const {
        impl_->run(guide, input, out, &alpha, &beta, nullptr);
    }
    // joint_filter::apply_part; alpha and beta may be null (both or neither).
    void apply_part(any_input guide, any_input input, any_output out, std::span<const value_extent> extents,
                    const image_view<float>* alpha = nullptr, const image_view<float>* beta = nullptr) const {
        impl_->run(guide, input, out, alpha, beta, &extents);
    }

private:
    struct erased {
        virtual ~erased() = default;
        virtual std::string_view backend_name() const = 0;
        virtual const std::string& precision_name() const = 0;
        virtual const model& get_model() const = 0;
        virtual const filter_options& options() const = 0;
        // extents: null for a whole image (apply), else a part's (apply_part).
        virtual void run(const any_input&, const any_input&, const any_output&, const image_view<float>*,
                         const image_view<float>*, const std::span<const value_extent>* extents) const = 0;
    };

    template <class Backend>
    struct typed final : erased {
        explicit typed(joint_filter<Backend> f)
            : filter(std::move(f)), precision(backend::precision_name(filter.backend())) {}
        joint_filter<Backend> filter;
        std::string precision;  // fixed when the backend is built

        std::string_view backend_name() const override { return Backend::name; }
        const std::string& precision_name() const override { return precision; }
        const model& get_model() const override { return filter.get_model(); }
        const filter_options& options() const override { return filter.options(); }
        void run(const any_input& guide, const any_input& input, const any_output& out, const image_view<float>* alpha,
                 const image_view<float>* beta, const std::span<const value_extent>* extents) const override {
            std::visit(
                [&](auto g, auto in, auto o) {
                    if (extents) filter.apply_part(g, in, o, *extents, alpha, beta);
                    else if (alpha) filter.apply(g, in, o, *alpha, *beta);
                    else filter.apply(g, in, o);
                },
                guide, input, out);
        }
    };

    std::shared_ptr<const erased> impl_;
};

}  // namespace svlrm
