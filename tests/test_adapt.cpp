// Zero-copy adaptors to and from Eigen and xtensor.
#include <svlrm/adapt/eigen.hpp>
#include <svlrm/adapt/xtensor.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

TEST_CASE("as_eigen maps a channel of a strided interleaved view without copying", "[adapt]") {
    std::vector<float> buf(4 * 10, 0.0f);  // 3x4 image, 2 channels, stride 10
    svlrm::image_view<float> v{buf.data(), 3, 4, 2, 10};
    for (long y = 0; y < 4; ++y)
        for (long x = 0; x < 3; ++x) {
            v(x, y, 0) = float(y * 10 + x);
            v(x, y, 1) = -float(y * 10 + x);
        }
    auto m1 = svlrm::as_eigen(v, 1);
    REQUIRE(m1.rows() == 4);
    REQUIRE(m1.cols() == 3);
    CHECK(m1(2, 1) == -21.0f);
    m1(3, 2) = 99.0f;  // writes through
    CHECK(v(2, 3, 1) == 99.0f);
    const svlrm::image_view<const float> cv = v;
    CHECK(svlrm::as_eigen(cv, 0)(1, 2) == 12.0f);
    REQUIRE_THROWS_WITH(svlrm::as_eigen(v, 2), Catch::Contains("channel 2 is out of range"));
}

TEST_CASE("view_of an Eigen row-major matrix and map", "[adapt]") {
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> m(5, 7);
    m.setRandom();
    auto v = svlrm::view_of(m);
    CHECK(v.width == 7);
    CHECK(v.height == 5);
    CHECK(v.row_stride == 7);
    CHECK(v(6, 4) == m(4, 6));
    std::vector<std::uint16_t> raw(4 * 9);
    Eigen::Map<Eigen::Matrix<std::uint16_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0, Eigen::OuterStride<>> map(
        raw.data(), 4, 6, Eigen::OuterStride<>(9));
    map(3, 5) = 7;
    auto mv = svlrm::view_of(map);
    CHECK(mv.row_stride == 9);
    CHECK(raw[3 * 9 + 5] == 7);
    CHECK(mv(5, 3) == 7);
}

TEST_CASE("as_xtensor and view_of xtensor share memory", "[adapt]") {
    std::vector<std::uint8_t> buf(3 * 8, 0);
    svlrm::image_view<std::uint8_t> v{buf.data(), 2, 3, 3, 8};  // padded rows
    v(1, 2, 2) = 42;
    auto x = svlrm::as_xtensor(v);
    REQUIRE(x.shape()[0] == 3);
    REQUIRE(x.shape()[1] == 2);
    REQUIRE(x.shape()[2] == 3);
    CHECK(x(2, 1, 2) == 42);
    x(0, 1, 0) = 5;
    CHECK(buf[3] == 5);

    xt::xtensor<float, 3> t = xt::zeros<float>({4, 5, 3});
    t(3, 4, 1) = 2.5f;
    auto tv = svlrm::view_of(t);
    CHECK(tv.width == 5);
    CHECK(tv.height == 4);
    CHECK(tv.channels == 3);
    CHECK(tv.row_stride == 15);
    CHECK(tv(4, 3, 1) == 2.5f);

    xt::xtensor<float, 2> g = xt::ones<float>({6, 2});
    auto gv = svlrm::view_of(g);
    CHECK(gv.channels == 1);
    CHECK(gv.row_stride == 2);

    xt::xtensor<float, 3, xt::layout_type::column_major> cm = xt::zeros<float>({4, 5, 3});
    REQUIRE_THROWS_WITH(svlrm::view_of(cm), Catch::Contains("row-major"));
}
