#include "pngshim.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Where libpng's error callback leaves its message before it long-jumps back.
typedef struct {
  char *buffer;
  size_t length;
} shim_error;

static void shim_set_error(char *buffer, size_t length, const char *message) {
  if (buffer && length > 0) {
    strncpy(buffer, message, length - 1);
    buffer[length - 1] = '\0';
  }
}

static void shim_on_error(png_structp png, png_const_charp message) {
  shim_error *error = (shim_error *)png_get_error_ptr(png);
  if (error) shim_set_error(error->buffer, error->length, message);
  png_longjmp(png, 1);
}

// libpng prints warnings (for example about a bad CRC in an ancillary chunk) to stderr
// by default; the tool keeps stderr for its own messages.
static void shim_on_warning(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;
}

int pngshim_read(const char *path, uint8_t **pixels, uint32_t *width, uint32_t *height,
                 uint32_t *channels, char *error, size_t error_length) {
  *pixels = NULL;
  FILE *file = fopen(path, "rb");
  if (!file) {
    shim_set_error(error, error_length, "cannot open file");
    return PNGSHIM_EOPEN;
  }
  png_byte signature[8];
  if (fread(signature, 1, 8, file) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
    fclose(file);
    shim_set_error(error, error_length, "not a PNG file (bad signature)");
    return PNGSHIM_ENOTPNG;
  }
  shim_error context = {error, error_length};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, shim_on_error, shim_on_warning);
  if (!png) {
    fclose(file);
    shim_set_error(error, error_length, "out of memory");
    return PNGSHIM_ENOMEM;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, NULL, NULL);
    fclose(file);
    shim_set_error(error, error_length, "out of memory");
    return PNGSHIM_ENOMEM;
  }
  // Buffers that must be freed after a long jump are volatile so their values survive it.
  uint8_t *volatile data = NULL;
  png_bytep *volatile rows = NULL;
  if (setjmp(png_jmpbuf(png))) {
    free(rows);
    free(data);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    return PNGSHIM_EDECODE;
  }
  png_init_io(png, file);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);

  png_byte color_type = png_get_color_type(png, info);
  png_byte bit_depth = png_get_bit_depth(png, info);
  if (bit_depth == 16) png_set_scale_16(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  // Expanding a palette also turns its tRNS transparency into an alpha channel.
  if ((color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  uint32_t w = png_get_image_width(png, info);
  uint32_t h = png_get_image_height(png, info);
  uint32_t c = png_get_channels(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  if (c != 1 && c != 3) png_error(png, "unexpected channel layout after conversion");
  if (h == 0 || row_bytes != (size_t)w * c || (size_t)h > SIZE_MAX / row_bytes) png_error(png, "image too large");
  data = malloc(row_bytes * h);
  rows = malloc(sizeof(png_bytep) * h);
  if (!data || !rows) png_error(png, "out of memory");
  for (uint32_t y = 0; y < h; y++) rows[y] = data + (size_t)y * row_bytes;
  png_read_image(png, rows);
  png_read_end(png, NULL);

  free(rows);
  png_destroy_read_struct(&png, &info, NULL);
  fclose(file);
  *pixels = data;
  *width = w;
  *height = h;
  *channels = c;
  return PNGSHIM_OK;
}

// A growing memory buffer that libpng's write callback appends to.
typedef struct {
  uint8_t *data;
  size_t length;
  size_t capacity;
} shim_buffer;

static void shim_write_to_buffer(png_structp png, png_bytep bytes, png_size_t count) {
  shim_buffer *buffer = (shim_buffer *)png_get_io_ptr(png);
  if (buffer->length + count > buffer->capacity) {
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->length + count) capacity *= 2;
    uint8_t *grown = realloc(buffer->data, capacity);
    if (!grown) png_error(png, "out of memory");
    buffer->data = grown;
    buffer->capacity = capacity;
  }
  memcpy(buffer->data + buffer->length, bytes, count);
  buffer->length += count;
}

static void shim_flush(png_structp png) { (void)png; }

int pngshim_encode(const void *pixels, uint32_t width, uint32_t height, uint32_t channels,
                   uint32_t bit_depth, int interlaced, uint8_t **encoded, size_t *encoded_length,
                   char *error, size_t error_length) {
  static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  *encoded = NULL;
  *encoded_length = 0;
  if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) || width == 0 || height == 0) {
    shim_set_error(error, error_length, "unsupported image layout for writing");
    return PNGSHIM_EENCODE;
  }
  shim_error context = {error, error_length};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, shim_on_error, shim_on_warning);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info) {
    png_destroy_write_struct(&png, NULL);
    shim_set_error(error, error_length, "out of memory");
    return PNGSHIM_ENOMEM;
  }
  // Volatile: read after a long jump to free what was allocated.
  png_bytep *volatile rows = NULL;
  shim_buffer buffer = {NULL, 0, 0};
  shim_buffer *volatile output = &buffer;
  if (setjmp(png_jmpbuf(png))) {
    free(rows);
    free(output->data);
    png_destroy_write_struct(&png, &info);
    return PNGSHIM_EENCODE;
  }
  png_set_write_fn(png, output, shim_write_to_buffer, shim_flush);
  png_set_IHDR(png, info, width, height, (int)bit_depth, color_types[channels],
               interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if (bit_depth == 16) {
    // PNG stores 16-bit samples big-endian; the caller passes host-order uint16_t.
    uint16_t probe = 1;
    if (*(uint8_t *)&probe == 1) png_set_swap(png);
  }
  size_t row_bytes = (size_t)width * channels * (bit_depth / 8);
  rows = malloc(sizeof(png_bytep) * height);
  if (!rows) png_error(png, "out of memory");
  for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)pixels + (size_t)y * row_bytes;
  png_write_image(png, rows);
  png_write_end(png, NULL);
  free(rows);
  png_destroy_write_struct(&png, &info);
  *encoded = output->data;
  *encoded_length = output->length;
  return PNGSHIM_OK;
}

void pngshim_free(void *pointer) { free(pointer); }
