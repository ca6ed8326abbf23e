#pragma once
#include <libv4l2.h>
#include <linux/videodev2.h>

// Swift cannot call C variadic functions (v4l2_open, v4l2_ioctl) nor import the VIDIOC_*
// and v4l2_fourcc() macros (they expand to _IOWR(...) and shifts): these wrappers and
// constants are the only C added on top of libv4l2.

static inline int tincan_v4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
static inline int tincan_v4l2_ioctl(int fd, unsigned long request, void *arg) {
    return v4l2_ioctl(fd, request, arg);
}

static const unsigned long TINCAN_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
static const unsigned long TINCAN_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
static const unsigned long TINCAN_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
static const unsigned long TINCAN_VIDIOC_ENUM_FRAMEINTERVALS = VIDIOC_ENUM_FRAMEINTERVALS;
static const unsigned long TINCAN_VIDIOC_S_FMT = VIDIOC_S_FMT;
static const unsigned long TINCAN_VIDIOC_G_FMT = VIDIOC_G_FMT;
static const unsigned long TINCAN_VIDIOC_G_PARM = VIDIOC_G_PARM;
static const unsigned long TINCAN_VIDIOC_S_PARM = VIDIOC_S_PARM;
static const unsigned long TINCAN_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
static const unsigned long TINCAN_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
static const unsigned long TINCAN_VIDIOC_QBUF = VIDIOC_QBUF;
static const unsigned long TINCAN_VIDIOC_DQBUF = VIDIOC_DQBUF;
static const unsigned long TINCAN_VIDIOC_STREAMON = VIDIOC_STREAMON;
static const unsigned long TINCAN_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;
static const unsigned long TINCAN_VIDIOC_G_CTRL = VIDIOC_G_CTRL;

static const unsigned int TINCAN_V4L2_CID_CAMERA_ORIENTATION = V4L2_CID_CAMERA_ORIENTATION;

static const unsigned int TINCAN_V4L2_PIX_FMT_YUV420 = V4L2_PIX_FMT_YUV420;
static const unsigned int TINCAN_V4L2_PIX_FMT_YVU420 = V4L2_PIX_FMT_YVU420;
static const unsigned int TINCAN_V4L2_PIX_FMT_NV12 = V4L2_PIX_FMT_NV12;
static const unsigned int TINCAN_V4L2_PIX_FMT_YUYV = V4L2_PIX_FMT_YUYV;
static const unsigned int TINCAN_V4L2_PIX_FMT_UYVY = V4L2_PIX_FMT_UYVY;
static const unsigned int TINCAN_V4L2_PIX_FMT_MJPEG = V4L2_PIX_FMT_MJPEG;
static const unsigned int TINCAN_V4L2_PIX_FMT_JPEG = V4L2_PIX_FMT_JPEG;
