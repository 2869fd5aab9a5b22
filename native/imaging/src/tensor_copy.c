/* An image already at the tensor's size, written into it: normalisation and layout only, no resampling. */
#include "tensor_write.h"

int32_t fm_image_to_f32(const fm_image *src, const fm_tensor_format *format, float *dst, size_t dst_len,
                        fm_error *err)
{
    int32_t rc = fm_check_image(src, "tensor source", err);
    if (rc)
        return rc;
    tensor_writer tw = {0};
    if ((rc = tensor_writer_init(&tw, format, dst, dst_len, err)) != 0)
        return rc;
    if (src->width != format->width || src->height != format->height)
        return fm_fail(err, FM_ERR_INVALID_ARGUMENT, "tensor: image is %dx%d, tensor %dx%d (resample it first)",
                       src->width, src->height, format->width, format->height);
    for (int y = 0; y < src->height; y++) {
        const uint8_t *p = src->data + (size_t)y * (size_t)src->stride;
        for (int x = 0; x < src->width; x++, p += 3)
            tensor_put(&tw, x, y, p[0], p[1], p[2]);
    }
    return fm_ok(err);
}
