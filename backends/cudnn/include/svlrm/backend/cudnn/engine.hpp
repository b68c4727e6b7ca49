// Turning a finalized operation graph into an execution plan: cuDNN's heuristics
// (CUDNN_HEUR_MODE_A, then CUDNN_HEUR_MODE_FALLBACK) rank the engine configurations,
// the numerical policy of the precision mode filters them, and the first one that
// finalizes wins. Then running a plan with a variant pack (the memory of one call).
#pragma once

#include <svlrm/backend/cudnn/descriptor.hpp>
#include <svlrm/backend/cudnn/graphs.hpp>
#include <svlrm/error.hpp>

#include <cudnn.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace svlrm::backend::cudnn_detail {

// Numerical notes an engine must not carry. fp32 mode refuses tensor cores (on float
// data they mean TF32), down-converted inputs, reduced-precision accumulation, FFT
// and Winograd, so that it matches the float reference to summation order.
using note_list = std::vector<cudnnBackendNumericalNote_t>;

struct plan {
    descriptor handle;
    std::int64_t workspace_bytes = 0;
    std::int64_t engine = -1;  // CUDNN_ATTR_ENGINE_GLOBAL_INDEX, for describe()
};

inline note_list engine_notes(const descriptor& engine) {
    cudnnBackendNumericalNote_t notes[CUDNN_NUMERICAL_NOTE_TYPE_COUNT];
    const std::int64_t n =
        engine.get(CUDNN_ATTR_ENGINE_NUMERICAL_NOTE, CUDNN_TYPE_NUMERICAL_NOTE, notes, CUDNN_NUMERICAL_NOTE_TYPE_COUNT);
    return note_list(notes, notes + std::clamp<std::int64_t>(n, 0, CUDNN_NUMERICAL_NOTE_TYPE_COUNT));
}

// The engine configurations heuristics propose for `graph`, best first.
inline std::vector<descriptor> heuristic_configs(const op_graph& graph, cudnnBackendHeurMode_t mode) {
    descriptor heur(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR, graph.graph.what() + " heuristics");
    heur.set(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, graph.graph)
        .set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, mode)
        .finalize();
    const std::int64_t count = heur.get(CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                                        static_cast<cudnnBackendDescriptor_t*>(nullptr), 0);
    std::vector<descriptor> configs;
    std::vector<cudnnBackendDescriptor_t> raw;
    for (std::int64_t i = 0; i < count; ++i) {
        configs.emplace_back(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR, graph.graph.what() + " engine config");
        raw.push_back(configs.back().get());
    }
    if (count > 0) {
        const std::int64_t got = heur.get(CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, raw.data(), count);
        configs.erase(configs.begin() + std::clamp<std::int64_t>(got, 0, count), configs.end());
    }
    return configs;
}

// The best plan for `graph` whose engine carries none of `refused`; throws
// svlrm::unavailable_error listing why each candidate was rejected when none is left.
inline plan make_plan(const op_graph& graph, const note_list& refused) {
    std::string rejected;
    for (const cudnnBackendHeurMode_t mode : {CUDNN_HEUR_MODE_A, CUDNN_HEUR_MODE_FALLBACK}) {
        for (descriptor& config : heuristic_configs(graph, mode)) {
            descriptor engine(CUDNN_BACKEND_ENGINE_DESCRIPTOR, graph.graph.what() + " engine");
            cudnnBackendDescriptor_t e = engine.get();
            config.get(CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_TYPE_BACKEND_DESCRIPTOR, &e, 1);
            std::int64_t index = -1;
            engine.get(CUDNN_ATTR_ENGINE_GLOBAL_INDEX, CUDNN_TYPE_INT64, &index, 1);
            const note_list notes = engine_notes(engine);
            const auto bad = std::find_first_of(notes.begin(), notes.end(), refused.begin(), refused.end());
            if (bad != notes.end()) {
                rejected += "\n  engine " + std::to_string(index) + ": numerical note " + std::to_string(int(*bad)) +
                            " is not allowed in this precision mode";
                continue;
            }
            try {
                descriptor p(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, graph.graph.what() + " plan");
                p.set(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, config).finalize();
                std::int64_t ws = 0;
                p.get(CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, &ws, 1);
                return {std::move(p), ws, index};
            } catch (const gpu_error& err) {
                // An engine that cannot run this shape on this GPU; the next may.
                rejected += "\n  engine " + std::to_string(index) + ": " + err.what();
            }
        }
    }
    throw unavailable_error(std::string(where) + ": no cuDNN engine can run the " + graph.graph.what() +
                            (rejected.empty() ? std::string(" (cuDNN's heuristics proposed none on this device)")
                                              : ":" + rejected));
}

// One execution of `p`: `uids` and `pointers` bind memory to the graph's tensors.
inline void execute(cudnnHandle_t handle, const plan& p, const std::vector<std::int64_t>& uids,
                    const std::vector<void*>& pointers, void* workspace) {
    descriptor pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, "variant pack");
    pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, uids)
        .set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, pointers)
        .set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, workspace)
        .finalize();
    check(cudnnBackendExecute(handle, p.handle.get(), pack.get()), "cudnnBackendExecute(" + p.handle.what() + ")");
}

}  // namespace svlrm::backend::cudnn_detail
