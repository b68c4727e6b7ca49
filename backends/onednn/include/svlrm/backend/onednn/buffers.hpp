// Scratch memory of one running inference: the input staging planes, the two
// activation buffers used in turn, and oneDNN's scratchpad. Workspaces are pooled
// by the backend object (not by image size), so a tiled run that meets several
// tile sizes still holds only one set of buffers, sized for its largest tile.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace svlrm::backend::onednn_detail {

// Uninitialised, 64-byte aligned (a cache line, as oneDNN prefers), grows only.
class aligned_buffer {
public:
    void reserve(std::size_t bytes) {
        if (bytes <= size_) return;
        const std::size_t rounded = (bytes + 63) / 64 * 64;
        void* p = std::aligned_alloc(64, rounded);
        if (!p) throw std::bad_alloc();
        data_.reset(p);
        size_ = rounded;
    }
    void* data() const { return data_.get(); }

private:
    struct free_deleter {
        void operator()(void* p) const { std::free(p); }
    };
    std::unique_ptr<void, free_deleter> data_;
    std::size_t size_ = 0;
};

struct workspace {
    aligned_buffer staging;        // the 2 planar f32 input channels
    aligned_buffer activation[2];  // layer outputs, used in turn
    aligned_buffer scratchpad;     // oneDNN's (scratchpad_mode::user)
};

// Hands out a free workspace (or a new one) and takes it back; one per thread
// running at the same time.
class workspace_pool {
public:
    class lease {
    public:
        lease(workspace_pool& pool, std::unique_ptr<workspace> ws) : pool_(pool), ws_(std::move(ws)) {}
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        ~lease() { pool_.give_back(std::move(ws_)); }
        workspace& operator*() const { return *ws_; }
        workspace* operator->() const { return ws_.get(); }

    private:
        workspace_pool& pool_;
        std::unique_ptr<workspace> ws_;
    };

    lease take() {
        std::lock_guard lock(mutex_);
        if (free_.empty()) return lease(*this, std::make_unique<workspace>());
        std::unique_ptr<workspace> ws = std::move(free_.back());
        free_.pop_back();
        return lease(*this, std::move(ws));
    }

private:
    void give_back(std::unique_ptr<workspace> ws) {
        std::lock_guard lock(mutex_);
        free_.push_back(std::move(ws));
    }
    std::mutex mutex_;
    std::vector<std::unique_ptr<workspace>> free_;
};

}  // namespace svlrm::backend::onednn_detail
