// The hand-crafted prior, Eq. 12: closed form, optimality for Eq. 6, types, strides,
// in-place calls, validation.
#include "support.hpp"

#include <svlrm/hand_crafted.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace svlrm;
using svlrm_test::random_image;

namespace {

struct reference {
    std::vector<double> out, alpha, beta;
};

// Eq. 12 re-derived in float64 from Eq. 6 with phi = mu a^2, psi = eta b^2:
// dE/db = 0 gives b = (I - aG)/(1 + eta); substituting into dE/da = 0 gives
// a (eta G^2 + mu (1 + eta)) = eta G I.
reference eq12(const std::vector<double>& g, const image<float>& input, double mu, double eta) {
    reference r;
    const std::ptrdiff_t c = input.channels();
    for (std::size_t i = 0; i < static_cast<std::size_t>(input.width() * input.height() * c); ++i) {
        const double G = g[i / static_cast<std::size_t>(c)], I = input.data()[i];
        const double a = eta * G * I / (eta * G * G + mu * (1.0 + eta));
        const double b = (I - a * G) / (1.0 + eta);
        r.alpha.push_back(a);
        r.beta.push_back(b);
        r.out.push_back(a * G + b);
    }
    return r;
}

std::vector<double> gray_values(const image<float>& guide) {
    std::vector<double> g;
    for (std::ptrdiff_t i = 0; i < guide.width() * guide.height(); ++i) g.push_back(guide.data()[i]);
    return g;
}

double max_diff(const float* a, const std::vector<double>& b) {
    double m = 0;
    for (std::size_t i = 0; i < b.size(); ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
    return m;
}

// Eq. 6 with phi = mu a^2 and psi = eta b^2.
double objective(double a, double b, double G, double I, double mu, double eta) {
    const double r = a * G + b - I;
    return r * r + mu * a * a + eta * b * b;
}

}  // namespace

TEST_CASE("hand_crafted_filter matches a float64 re-derivation of Eq. 12", "[hand_crafted]") {
    const auto [mu, eta] = GENERATE(std::pair{0.1, 0.1}, std::pair{0.01, 1.0}, std::pair{1e-3, 0.5},
                                    std::pair{2.0, 1e-2});
    const auto guide = random_image(37, 23, 1, 1);
    const auto input = random_image(37, 23, 3, 2);
    image<float> out(37, 23, 3), alpha(37, 23, 3), beta(37, 23, 3);
    hand_crafted_filter(guide.view(), input.view(), out.view(), alpha.view(), beta.view(), mu, eta);
    const auto ref = eq12(gray_values(guide), input, mu, eta);
    INFO("mu=" << mu << " eta=" << eta);
    CHECK(max_diff(out.data(), ref.out) < 1e-5);
    CHECK(max_diff(alpha.data(), ref.alpha) < 1e-5);
    CHECK(max_diff(beta.data(), ref.beta) < 1e-5);

    // The 5-argument overload computes the same F.
    image<float> out2(37, 23, 3);
    hand_crafted_filter(guide.view(), input.view(), out2.view(), mu, eta);
    CHECK(svlrm_test::max_abs_diff(out.view(), out2.view()) == 0.0);
}

TEST_CASE("Eq. 12 minimises the objective of Eq. 6 at every pixel", "[hand_crafted]") {
    const double mu = 0.1, eta = 0.1;
    const auto guide = random_image(31, 17, 1, 3);
    const auto input = random_image(31, 17, 1, 4);
    image<float> out(31, 17), alpha(31, 17), beta(31, 17);
    hand_crafted_filter(guide.view(), input.view(), out.view(), alpha.view(), beta.view(), mu, eta);
    double worst_gradient = 0, worst_model = 0;
    bool all_minimal = true;
    for (std::ptrdiff_t i = 0; i < 31 * 17; ++i) {
        const double G = guide.data()[i], I = input.data()[i], a = alpha.data()[i], b = beta.data()[i];
        const double r = a * G + b - I;
        worst_gradient = std::max({worst_gradient, std::abs(2 * G * r + 2 * mu * a), std::abs(2 * r + 2 * eta * b)});
        const double e = objective(a, b, G, I, mu, eta);
        for (double d : {1e-3, 1e-2})
            for (auto [da, db] : {std::pair{d, 0.0}, {-d, 0.0}, {0.0, d}, {0.0, -d}, {d, d}, {d, -d}, {-d, d}})
                all_minimal &= e <= objective(a + da, b + db, G, I, mu, eta);
        // F is the model of Eq. 5 built from the written coefficients.
        worst_model = std::max(worst_model, std::abs(out.data()[i] - (a * G + b)));
    }
    CHECK(worst_gradient < 1e-5);
    CHECK(worst_model < 1e-6);
    CHECK(all_minimal);
}

TEST_CASE("hand_crafted_filter on a real image (self-guided, mu = eta = 0.1)", "[hand_crafted]") {
    if (!svlrm_test::have_data()) {
        WARN("shared datasets not found at " << svlrm_test::data_dir() << "; skipped");
        return;
    }
    const auto tulips = svlrm_test::load_image(svlrm_test::data_dir() / "guided_filter_demo" / "tulips.bmp", true);
    image<float> out(tulips.width(), tulips.height());
    hand_crafted_filter(tulips.view(), tulips.view(), out.view(), 0.1, 0.1);
    const auto ref = eq12(gray_values(tulips), tulips, 0.1, 0.1);
    CHECK(max_diff(out.data(), ref.out) < 1e-5);
    // With G = I, F = I (1 + eta^2 I^2 / (eta I^2 + mu (1 + eta))) / (1 + eta) <= I: the prior
    // only darkens, which is why HC scores poorly in Table 4.
    bool darker = true;
    for (std::ptrdiff_t i = 0; i < tulips.width() * tulips.height(); ++i)
        darker &= out.data()[i] <= tulips.data()[i] + 1e-7f;
    CHECK(darker);
}

TEST_CASE("hand_crafted_filter converts a colour guide to BT.601 luma", "[hand_crafted]") {
    const auto rgb = random_image(19, 13, 3, 5);
    const auto input = random_image(19, 13, 2, 6);
    image<float> luma(19, 13);
    for (std::ptrdiff_t y = 0; y < 13; ++y)
        for (std::ptrdiff_t x = 0; x < 19; ++x)
            luma(x, y) = 0.299f * rgb(x, y, 0) + 0.587f * rgb(x, y, 1) + 0.114f * rgb(x, y, 2);
    image<float> from_rgb(19, 13, 2), from_luma(19, 13, 2);
    hand_crafted_filter(rgb.view(), input.view(), from_rgb.view(), 0.1, 0.1);
    hand_crafted_filter(luma.view(), input.view(), from_luma.view(), 0.1, 0.1);
    CHECK(svlrm_test::max_abs_diff(from_rgb.view(), from_luma.view()) < 1e-6);
}

TEST_CASE("hand_crafted_filter on a 1x1 image", "[hand_crafted]") {
    const float G = 0.75f, I = 0.5f;
    float out = -1, a = -1, b = -1;
    hand_crafted_filter(image_view<const float>{&G, 1, 1, 1, 1}, image_view<const float>{&I, 1, 1, 1, 1},
                        image_view<float>{&out, 1, 1, 1, 1}, image_view<float>{&a, 1, 1, 1, 1},
                        image_view<float>{&b, 1, 1, 1, 1}, 0.1, 0.1);
    const double ea = 0.1 * 0.75 * 0.5 / (0.1 * 0.75 * 0.75 + 0.1 + 0.01);
    const double eb = (0.5 - ea * 0.75) / 1.1;
    CHECK(a == Approx(ea).margin(1e-7));
    CHECK(b == Approx(eb).margin(1e-7));
    CHECK(out == Approx(ea * 0.75 + eb).margin(1e-7));
}

TEST_CASE("hand_crafted_filter handles u8/u16/float and strided views without touching padding",
          "[hand_crafted]") {
    const std::ptrdiff_t w = 11, h = 7;
    const auto guide_f = random_image(w, h, 3, 7);
    const auto input_f = random_image(w, h, 1, 8);
    // u8 colour guide with 5 elements of padding a row, u16 input with 3.
    std::vector<std::uint8_t> guide8(static_cast<std::size_t>((w * 3 + 5) * h), 0xAB);
    std::vector<std::uint16_t> input16(static_cast<std::size_t>((w + 3) * h), 0xBEEF);
    image_view<std::uint8_t> g8{guide8.data(), w, h, 3, w * 3 + 5};
    image_view<std::uint16_t> i16{input16.data(), w, h, 1, w + 3};
    image<float> guide_q(w, h, 3), input_q(w, h, 1);  // the same values as float
    for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x) {
            for (int c = 0; c < 3; ++c) {
                g8(x, y, c) = from_unit<std::uint8_t>(guide_f(x, y, c));
                guide_q(x, y, c) = to_unit(g8(x, y, c));
            }
            i16(x, y) = from_unit<std::uint16_t>(input_f(x, y));
            input_q(x, y) = to_unit(i16(x, y));
        }
    image<float> expected(w, h);
    hand_crafted_filter(guide_q.view(), input_q.view(), expected.view(), 0.1, 0.1);

    const float sentinel = -12345.0f;
    std::vector<float> outf(static_cast<std::size_t>((w + 4) * h), sentinel);
    image_view<float> of{outf.data(), w, h, 1, w + 4};
    hand_crafted_filter(image_view<const std::uint8_t>(g8), image_view<const std::uint16_t>(i16), of, 0.1, 0.1);
    CHECK(svlrm_test::max_abs_diff(image_view<const float>(of), expected.view()) < 1e-6);

    std::vector<std::uint8_t> out8(static_cast<std::size_t>((w + 2) * h), 0x5A);
    image_view<std::uint8_t> o8{out8.data(), w, h, 1, w + 2};
    hand_crafted_filter(g8, i16, o8, 0.1, 0.1);
    bool rounded = true, padding_kept = true;
    for (std::ptrdiff_t y = 0; y < h; ++y) {
        for (std::ptrdiff_t x = 0; x < w; ++x) rounded &= o8(x, y) == from_unit<std::uint8_t>(expected(x, y));
        for (std::ptrdiff_t x = w; x < w + 4; ++x) padding_kept &= outf[static_cast<std::size_t>(y * (w + 4) + x)] == sentinel;
        for (std::ptrdiff_t x = w; x < w + 2; ++x) padding_kept &= out8[static_cast<std::size_t>(y * (w + 2) + x)] == 0x5A;
    }
    CHECK(rounded);
    CHECK(padding_kept);
}

TEST_CASE("hand_crafted_filter works in place", "[hand_crafted]") {
    const auto guide = random_image(23, 9, 1, 9);
    const auto input = random_image(23, 9, 2, 10);
    image<float> expected(23, 9, 2);
    hand_crafted_filter(guide.view(), input.view(), expected.view(), 0.1, 0.1);

    image<float> buffer = input;  // out aliases input
    hand_crafted_filter(guide.view(), buffer.view(), buffer.view(), 0.1, 0.1);
    CHECK(svlrm_test::max_abs_diff(buffer.view(), expected.view()) == 0.0);

    image<float> g = guide, expected1(23, 9);  // out aliases the guide, alpha aliases input
    image<float> in1 = random_image(23, 9, 1, 11), alpha_ref(23, 9), beta(23, 9);
    hand_crafted_filter(guide.view(), in1.view(), expected1.view(), alpha_ref.view(), beta.view(), 0.1, 0.1);
    hand_crafted_filter(g.view(), in1.view(), g.view(), in1.view(), beta.view(), 0.1, 0.1);
    CHECK(svlrm_test::max_abs_diff(g.view(), expected1.view()) == 0.0);
    CHECK(svlrm_test::max_abs_diff(in1.view(), alpha_ref.view()) == 0.0);
}

TEST_CASE("hand_crafted_filter rejects bad arguments and leaves the output untouched", "[hand_crafted]") {
    const auto guide = random_image(8, 6, 1, 12);
    const auto input = random_image(8, 6, 2, 13);
    image<float> out(8, 6, 2, 0.25f), alpha(8, 6, 2, 0.25f), beta(8, 6, 2, 0.25f);
    const auto untouched = [&] {
        for (const auto* img : {&out, &alpha, &beta})
            for (std::ptrdiff_t i = 0; i < 8 * 6 * 2; ++i)
                if (img->data()[i] != 0.25f) return false;
        return true;
    };
    const auto throws = [&](auto&& call, const char* needle) {
        try {
            call();
        } catch (const std::invalid_argument& e) {
            const std::string what = e.what();
            INFO(what);
            CHECK(what.find("svlrm::hand_crafted_filter") != std::string::npos);
            CHECK(what.find(needle) != std::string::npos);
            CHECK(untouched());
            return;
        }
        FAIL("no std::invalid_argument for " << needle);
    };
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    throws([&] { hand_crafted_filter(guide.view(), input.view(), out.view(), 0.0, 0.1); }, "mu");
    throws([&] { hand_crafted_filter(guide.view(), input.view(), out.view(), out.view(), beta.view(), 0.1, 0.1); },
           "out and alpha overlap");
    throws([&] { hand_crafted_filter(guide.view(), input.view(), out.view(), beta.view(), beta.view(), 0.1, 0.1); },
           "alpha and beta overlap");
    throws([&] { hand_crafted_filter(guide.view(), input.view(), out.view(), -1.0, 0.1); }, "mu");
    throws([&] { hand_crafted_filter(guide.view(), input.view(), out.view(), nan, 0.1); }, "mu");
    throws([&] { hand_crafted_filter(guide.view(), input.view(), out.view(), 0.1, 0.0); }, "eta");
    throws([&] { hand_crafted_filter(guide.view(), input.view(), out.view(), 0.1, inf); }, "eta");

    const auto small = random_image(7, 6, 1, 14);
    throws([&] { hand_crafted_filter(small.view(), input.view(), out.view(), 0.1, 0.1); }, "guide");
    const auto two = random_image(8, 6, 2, 15);
    throws([&] { hand_crafted_filter(two.view(), input.view(), out.view(), 0.1, 0.1); }, "guide");
    image<float> out1(8, 6, 1);
    throws([&] { hand_crafted_filter(guide.view(), input.view(), out1.view(), 0.1, 0.1); }, "out");
    image<float> alpha_small(8, 5, 2);
    throws([&] {
        hand_crafted_filter(guide.view(), input.view(), out.view(), alpha_small.view(), beta.view(), 0.1, 0.1);
    }, "alpha");
    image<float> beta1(8, 6, 1);
    throws([&] { hand_crafted_filter(guide.view(), input.view(), out.view(), alpha.view(), beta1.view(), 0.1, 0.1); },
           "beta");
    throws([&] {
        hand_crafted_filter(image_view<const float>{nullptr, 8, 6, 1, 8}, input.view(), out.view(), 0.1, 0.1);
    }, "null");
    throws([&] {
        hand_crafted_filter(guide.view(), image_view<const float>{input.data(), 8, 6, 2, 15}, out.view(), 0.1, 0.1);
    }, "row_stride");

    image<float> bad_input = input;
    bad_input(3, 2, 1) = std::numeric_limits<float>::quiet_NaN();
    throws([&] { hand_crafted_filter(guide.view(), bad_input.view(), out.view(), 0.1, 0.1); }, "non-finite");
    image<float> bad_guide = guide;
    bad_guide(0, 5) = std::numeric_limits<float>::infinity();
    throws([&] { hand_crafted_filter(bad_guide.view(), input.view(), out.view(), alpha.view(), beta.view(), 0.1, 0.1); },
           "non-finite");
}
