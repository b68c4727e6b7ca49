// The cuDNN operation graphs of the backend, built from sizes alone (no device
// memory, no handle): descriptor building and graph finalization need no GPU, so
// everything here is testable on a machine without one.
//
//   layer graph    X -> conv_fprop -> + bias -> ReLU / leaky ReLU -> Y   (hidden layers)
//                  X -> conv_fprop -> + bias -> Y                         (last layer)
//   input graph    one float plane -> identity -> one channel slot of the 2-channel
//                  network input (type and NCHW -> NHWC conversion, device API)
//   compose graph  F = alpha * G + beta from the last layer's two channels (device API)
//
// Activations are NHWC (channels last) and weights KRSC: the layouts of cuDNN's
// tensor-core kernels. Intermediate (virtual) tensors are float: the convolution
// accumulates and the epilogue computes in fp32 in every precision mode.
#pragma once

#include <svlrm/backend/cudnn/descriptor.hpp>

#include <cudnn.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace svlrm::backend::cudnn_detail {

using dims4 = std::array<std::int64_t, 4>;

// Strides of an NHWC tensor with dims [n, c, h, w] (cuDNN always lists dims as NCHW).
inline dims4 nhwc_strides(std::int64_t c, std::int64_t h, std::int64_t w) { return {h * w * c, 1, w * c, c}; }
// Strides of one plane of h x w, described as a [1, 1, h, w] tensor.
inline dims4 plane_strides(std::int64_t h, std::int64_t w) { return {h * w, h * w, w, 1}; }

inline std::int64_t element_bytes(cudnnDataType_t t) { return t == CUDNN_DATA_FLOAT ? 4 : 2; }

// A finalized operation graph and every descriptor it refers to (kept alive with it).
struct op_graph {
    descriptor graph;
    std::vector<descriptor> parts;
};

struct tensor_spec {
    std::int64_t uid;
    cudnnDataType_t type;
    dims4 dims, strides;
    std::int64_t alignment = 16;  // cudaMalloc'd buffers are 256-byte aligned
    bool is_virtual = false;
};

inline descriptor make_tensor(const std::string& what, const tensor_spec& s) {
    descriptor t(CUDNN_BACKEND_TENSOR_DESCRIPTOR, what);
    t.set(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, s.type)
        .set(CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, s.dims.data(), 4)
        .set(CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, s.strides.data(), 4)
        .set(CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, s.uid)
        .set(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, s.alignment)
        .set(CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, s.is_virtual);
    t.finalize();
    return t;
}

// y = mode(x) or y = mode(x, b); math in fp32. relu_slope is the negative slope of a
// RELU_FWD (0: plain ReLU).
inline descriptor make_pointwise(const std::string& what, cudnnPointwiseMode_t mode, const descriptor& x,
                                 const descriptor* b, const descriptor& y, double relu_slope,
                                 std::vector<descriptor>& keep) {
    descriptor pw(CUDNN_BACKEND_POINTWISE_DESCRIPTOR, what + " mode");
    pw.set(CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, mode)
        .set(CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, CUDNN_DATA_FLOAT);
    if (mode == CUDNN_POINTWISE_RELU_FWD && relu_slope != 0.0)
        pw.set(CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP_SLOPE, CUDNN_TYPE_DOUBLE, relu_slope);
    pw.finalize();
    descriptor op(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR, what);
    op.set(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, pw)
        .set(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, x)
        .set(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, y);
    if (b) op.set(CUDNN_ATTR_OPERATION_POINTWISE_BDESC, *b);
    op.finalize();
    keep.push_back(std::move(pw));
    return op;
}

// Finalizes the graph of `ops`; the tensors and the other descriptors they refer to
// (`keep`) move into the result with them.
inline op_graph make_graph(const std::string& what, std::vector<descriptor> ops, std::vector<descriptor> tensors,
                           std::vector<descriptor> keep) {
    std::vector<cudnnBackendDescriptor_t> raw;
    for (const auto& o : ops) raw.push_back(o.get());
    descriptor g(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR, what);
    g.set(CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, raw).finalize();
    for (auto* v : {&ops, &keep})
        for (auto& d : *v) tensors.push_back(std::move(d));
    return {std::move(g), std::move(tensors)};
}

// Unique ids of the layer graph's tensors: the variant pack binds memory to them.
enum layer_uid : std::int64_t { uid_x = 1, uid_w, uid_bias, uid_y, uid_conv, uid_biased };

struct layer_shape {
    int index = 0;  // for messages
    std::int64_t in_channels = 0, out_channels = 0, kernel = 3;
    std::int64_t width = 0, height = 0;
    cudnnDataType_t io = CUDNN_DATA_FLOAT;  // X, W, bias and Y
    bool activate = true;                   // false for the last layer
    double relu_slope = 0.0;
};

inline op_graph make_layer_graph(const layer_shape& s) {
    const std::string name = "layer " + std::to_string(s.index);
    const std::int64_t c = s.in_channels, k = s.out_channels, r = s.kernel, h = s.height, w = s.width;
    // Every tensor exists before any operation refers to it (the vector never grows after).
    std::vector<descriptor> t, keep, ops;
    t.push_back(make_tensor(name + " x", {uid_x, s.io, {1, c, h, w}, nhwc_strides(c, h, w)}));
    t.push_back(make_tensor(name + " w", {uid_w, s.io, {k, c, r, r}, nhwc_strides(c, r, r)}));
    t.push_back(make_tensor(name + " bias", {uid_bias, s.io, {1, k, 1, 1}, nhwc_strides(k, 1, 1)}));
    t.push_back(make_tensor(name + " y", {uid_y, s.io, {1, k, h, w}, nhwc_strides(k, h, w)}));
    t.push_back(make_tensor(name + " conv out", {uid_conv, CUDNN_DATA_FLOAT, {1, k, h, w}, nhwc_strides(k, h, w), 16, true}));
    t.push_back(make_tensor(name + " biased", {uid_biased, CUDNN_DATA_FLOAT, {1, k, h, w}, nhwc_strides(k, h, w), 16, true}));

    // Stride 1, "same" zero padding: the network keeps the image size.
    descriptor conv(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR, name + " convolution");
    const std::int64_t pad[2] = {r / 2, r / 2}, one[2] = {1, 1}, spatial = 2;
    conv.set(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, spatial)
        .set(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, CUDNN_DATA_FLOAT)
        .set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, CUDNN_CROSS_CORRELATION)
        .set(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, pad, 2)
        .set(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, pad, 2)
        .set(CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, one, 2)
        .set(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, one, 2)
        .finalize();
    descriptor fprop(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR, name + " conv_fprop");
    const float alpha = 1.0f, beta = 0.0f;
    fprop.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, t[0])
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, t[1])
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, t[4])
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, conv)
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, alpha)
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, beta)
        .finalize();
    ops.push_back(std::move(fprop));
    keep.push_back(std::move(conv));
    // The last layer has no activation: its bias addition writes y directly.
    const descriptor& biased = s.activate ? t[5] : t[3];
    ops.push_back(make_pointwise(name + " add bias", CUDNN_POINTWISE_ADD, t[4], &t[2], biased, 0.0, keep));
    if (s.activate)
        ops.push_back(make_pointwise(name + " activation", CUDNN_POINTWISE_RELU_FWD, t[5], nullptr, t[3], s.relu_slope, keep));
    else
        t.pop_back();  // the unused virtual "biased" tensor
    return make_graph(name + " graph", std::move(ops), std::move(t), std::move(keep));
}

// One float plane into one channel of the 2-channel NHWC network input.
enum input_uid : std::int64_t { uid_plane = 1, uid_slot };

inline op_graph make_input_graph(std::int64_t width, std::int64_t height, cudnnDataType_t io) {
    std::vector<descriptor> t, keep, ops;
    t.push_back(make_tensor("input plane", {uid_plane, CUDNN_DATA_FLOAT, {1, 1, height, width}, plane_strides(height, width)}));
    // The second slot starts one element into the buffer: alignment of one element.
    t.push_back(make_tensor("input slot", {uid_slot, io, {1, 1, height, width}, nhwc_strides(2, height, width),
                                           element_bytes(io)}));
    ops.push_back(make_pointwise("input conversion", CUDNN_POINTWISE_IDENTITY, t[0], nullptr, t[1], 0.0, keep));
    return make_graph("input graph", std::move(ops), std::move(t), std::move(keep));
}

// F = alpha * G + beta, alpha and beta read as the two channel slots of the last
// layer's NHWC output; with `coefficients`, alpha and beta are also written as planes.
enum compose_uid : std::int64_t { uid_alpha = 1, uid_beta, uid_guide, uid_f, uid_product, uid_alpha_out, uid_beta_out };

inline op_graph make_compose_graph(std::int64_t width, std::int64_t height, cudnnDataType_t io, bool coefficients) {
    const std::int64_t h = height, w = width;
    auto plane = [&](std::int64_t uid, bool is_virtual = false) {
        return tensor_spec{uid, CUDNN_DATA_FLOAT, {1, 1, h, w}, plane_strides(h, w), 16, is_virtual};
    };
    std::vector<descriptor> t, keep, ops;
    t.push_back(make_tensor("alpha", {uid_alpha, io, {1, 1, h, w}, nhwc_strides(2, h, w), element_bytes(io)}));
    t.push_back(make_tensor("beta", {uid_beta, io, {1, 1, h, w}, nhwc_strides(2, h, w), element_bytes(io)}));
    t.push_back(make_tensor("guide", plane(uid_guide)));
    t.push_back(make_tensor("F", plane(uid_f)));
    t.push_back(make_tensor("alpha * G", plane(uid_product, true)));
    if (coefficients) {
        t.push_back(make_tensor("alpha out", plane(uid_alpha_out)));
        t.push_back(make_tensor("beta out", plane(uid_beta_out)));
    }
    ops.push_back(make_pointwise("compose mul", CUDNN_POINTWISE_MUL, t[0], &t[2], t[4], 0.0, keep));
    ops.push_back(make_pointwise("compose add", CUDNN_POINTWISE_ADD, t[4], &t[1], t[3], 0.0, keep));
    if (coefficients) {
        ops.push_back(make_pointwise("alpha copy", CUDNN_POINTWISE_IDENTITY, t[0], nullptr, t[5], 0.0, keep));
        ops.push_back(make_pointwise("beta copy", CUDNN_POINTWISE_IDENTITY, t[1], nullptr, t[6], 0.0, keep));
    }
    return make_graph("compose graph", std::move(ops), std::move(t), std::move(keep));
}

}  // namespace svlrm::backend::cudnn_detail
