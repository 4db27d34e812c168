/*
 * pb: the few pieces of the protobuf wire format that profile.proto
 * needs, by hand (no protobuf library), and gzip through zlib.
 *
 * Wire format: a field is a key varint (field << 3 | wire type) and a
 * value: a varint (little-endian base-128, high bit = more), or a length
 * varint and that many bytes.  Embedded messages are length-delimited, and
 * their length is only known once they are written: pb_msg_begin() notes
 * where the message starts, pb_msg_end() moves it up to make room for the
 * key and length.  Messages here are small (a location, a function), so
 * the move costs little; the big repeated fields are written in place.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"
#include "leakcheck/util.h"

static void pb_reserve(struct pb *b, size_t more)
{
	if (b->len + more > b->cap)
		b->buf = xgrow(b->buf, &b->cap, b->len + more, 1);
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t varint_put(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

void pb_varint(struct pb *b, uint64_t v)
{
	pb_reserve(b, 10);
	b->len += varint_put(b->buf + b->len, v);
}

void pb_key(struct pb *b, unsigned field, enum pb_wire wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

void pb_uint(struct pb *b, unsigned field, uint64_t v)
{
	if (!v)
		return;
	pb_key(b, field, PB_VARINT);
	pb_varint(b, v);
}

void pb_bytes(struct pb *b, unsigned field, const void *p, size_t len)
{
	pb_key(b, field, PB_LEN);
	pb_varint(b, len);
	pb_reserve(b, len);
	if (len)
		memcpy(b->buf + b->len, p, len);
	b->len += len;
}

void pb_packed(struct pb *b, unsigned field, const uint64_t *v, size_t n)
{
	size_t len = 0;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		len += varint_len(v[i]);
	pb_key(b, field, PB_LEN);
	pb_varint(b, len);
	pb_reserve(b, len);
	for (size_t i = 0; i < n; i++)
		b->len += varint_put(b->buf + b->len, v[i]);
}

size_t pb_msg_begin(struct pb *b)
{
	return b->len;
}

void pb_msg_end(struct pb *b, unsigned field, size_t mark)
{
	unsigned char head[20];
	size_t body = b->len - mark, hl;

	hl = varint_put(head, (uint64_t)field << 3 | PB_LEN);
	hl += varint_put(head + hl, body);
	pb_reserve(b, hl);
	memmove(b->buf + mark + hl, b->buf + mark, body);
	memcpy(b->buf + mark, head, hl);
	b->len += hl;
}

void pb_release(struct pb *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void gzip_buffer(const void *in, size_t len, unsigned char **out,
		 size_t *outlen)
{
	z_stream z;
	size_t cap;
	int ret;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip wrapper; zlib's default header has mtime 0 */
	ret = deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	BUG_ON(ret != Z_OK);
	cap = deflateBound(&z, len) + 32;
	BUG_ON(len > UINT32_MAX || cap > UINT32_MAX);
	*out = xmalloc(cap);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	ret = deflate(&z, Z_FINISH);
	BUG_ON(ret != Z_STREAM_END);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
}
