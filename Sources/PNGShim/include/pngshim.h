// A small C layer over libpng. libpng reports errors by longjmp; every setjmp lives in
// pngshim.c, so Swift only ever sees return codes and an error message.
#ifndef PNGSHIM_H
#define PNGSHIM_H

#include <stddef.h>
#include <stdint.h>

enum {
  PNGSHIM_OK = 0,
  PNGSHIM_EOPEN = 1,     // the file cannot be opened
  PNGSHIM_ENOTPNG = 2,   // no PNG signature
  PNGSHIM_EDECODE = 3,   // libpng rejected the data (truncated, bad CRC, bad chunk, ...)
  PNGSHIM_EENCODE = 4,   // writing failed
  PNGSHIM_ENOMEM = 5     // out of memory or an absurd image size
};

// Decodes a PNG file to 8-bit samples, rows top to bottom, channels interleaved.
// `*channels` is 1 for greyscale images (any bit depth, with or without alpha) and 3 for
// colour and palette images: alpha and tRNS transparency are dropped (as PIL's
// convert("RGB") does), palettes are expanded, 1/2/4-bit grey is scaled to 0..255 and
// 16-bit samples are scaled to 8 bits with rounding. Interlaced images are handled.
// On success `*pixels` holds width*height*channels bytes; free it with pngshim_free.
// On failure a message is written to `error` (at most `error_length` bytes).
int pngshim_read(const char *path, uint8_t **pixels, uint32_t *width, uint32_t *height,
                 uint32_t *channels, char *error, size_t error_length);

// Encodes `pixels` (rows top to bottom, `channels` interleaved samples per pixel:
// 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) as the bytes of a PNG file, in memory so the
// caller can write the file atomically. With bit_depth 8 the samples are bytes; with
// bit_depth 16 they are uint16_t in host order. `interlaced` selects Adam7.
// On success `*encoded` holds `*encoded_length` bytes; free it with pngshim_free.
int pngshim_encode(const void *pixels, uint32_t width, uint32_t height, uint32_t channels,
                   uint32_t bit_depth, int interlaced, uint8_t **encoded, size_t *encoded_length,
                   char *error, size_t error_length);

// Frees a buffer returned by pngshim_read or pngshim_encode.
void pngshim_free(void *pointer);

#endif
