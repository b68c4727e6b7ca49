// svlrm: Spatially Variant Linear Representation Models for joint filtering
// (Pan, Dong, Ren, Lin, Tang, Yang, CVPR 2019), with the baselines it is compared to.
// Umbrella header of the core library; backends other than the reference one live in
// their own headers (<svlrm/backend/onednn.hpp>, <svlrm/backend/cudnn.hpp>).
#pragma once

#include <svlrm/config.hpp>
#include <svlrm/error.hpp>
#include <svlrm/image.hpp>
#include <svlrm/parallel.hpp>

#include <svlrm/guided_filter.hpp>
#include <svlrm/hand_crafted.hpp>
#include <svlrm/depth_upsampling.hpp>
#include <svlrm/jbu.hpp>
#include <svlrm/rolling_guidance.hpp>
#include <svlrm/metrics.hpp>
#include <svlrm/missing.hpp>
#include <svlrm/resample.hpp>

#include <svlrm/backend/reference.hpp>
#include <svlrm/joint_filter.hpp>
#include <svlrm/model.hpp>
