/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_trs_msg.h"

#include <arpa/inet.h>
#include <string.h>

const char *
aw_trs_type_name(unsigned type)
{
	switch (type) {
#define AW_TRS_TYPE_CASE(name, code)                                                               \
	case code:                                                                                 \
		return #name;
		AW_TRS_TYPES(AW_TRS_TYPE_CASE)
#undef AW_TRS_TYPE_CASE
	default:
		return NULL;
	}
}

bool
aw_trs_type_known(unsigned type)
{
	return aw_trs_type_name(type) != NULL;
}

static const char *const err_names[] = {
#define AW_TRS_ERR_NAME(name, text) #name,
        AW_TRS_ERRORS(AW_TRS_ERR_NAME)
#undef AW_TRS_ERR_NAME
};

static const char *const err_texts[] = {
#define AW_TRS_ERR_TEXT(name, text) text,
        AW_TRS_ERRORS(AW_TRS_ERR_TEXT)
#undef AW_TRS_ERR_TEXT
};

const char *
aw_trs_err_name(int err)
{
	return err >= 0 && err < AW_TRS_E__COUNT ? err_names[err] : "?";
}

const char *
aw_trs_strerror(int err)
{
	return err >= 0 && err < AW_TRS_E__COUNT ? err_texts[err] : "unknown error";
}

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

static uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

static void
wr32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

static void
wr16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, sizeof(v));
}

void
aw_trs_hdr_read(const void *p, struct aw_trs_hdr *h)
{
	const uint8_t *b = p;

	h->txid = rd32(b + AW_TRS_OFF_TXID);
	h->version = b[AW_TRS_OFF_VERSION];
	h->flag = b[AW_TRS_OFF_FLAG];
	h->type = b[AW_TRS_OFF_TYPE];
	h->count = b[AW_TRS_OFF_COUNT];
	h->seq = rd32(b + AW_TRS_OFF_SEQ);
	h->msg_len = rd16(b + AW_TRS_OFF_MSG_LEN);
	h->next_opt = b[AW_TRS_OFF_NEXT_OPT];
	h->reserved = b[AW_TRS_OFF_RESERVED];
	memcpy(h->id, b + AW_TRS_OFF_ID, AW_TRS_ID_LEN);
}

void
aw_trs_hdr_write(void *p, const struct aw_trs_hdr *h)
{
	uint8_t *b = p;

	wr32(b + AW_TRS_OFF_TXID, h->txid);
	b[AW_TRS_OFF_VERSION] = h->version;
	b[AW_TRS_OFF_FLAG] = h->flag;
	b[AW_TRS_OFF_TYPE] = h->type;
	b[AW_TRS_OFF_COUNT] = h->count;
	wr32(b + AW_TRS_OFF_SEQ, h->seq);
	wr16(b + AW_TRS_OFF_MSG_LEN, h->msg_len);
	b[AW_TRS_OFF_NEXT_OPT] = h->next_opt;
	b[AW_TRS_OFF_RESERVED] = h->reserved;
	memcpy(b + AW_TRS_OFF_ID, h->id, AW_TRS_ID_LEN);
}

uint32_t
aw_trs_get_seq(const void *msg)
{
	return rd32((const uint8_t *)msg + AW_TRS_OFF_SEQ);
}

uint16_t
aw_trs_get_msg_len(const void *msg)
{
	return rd16((const uint8_t *)msg + AW_TRS_OFF_MSG_LEN);
}

void
aw_trs_set_msg_len(void *msg, uint16_t msg_len)
{
	wr16((uint8_t *)msg + AW_TRS_OFF_MSG_LEN, msg_len);
}

int
aw_trs_parse(const void *payload, size_t len, struct aw_trs_view *v)
{
	const uint8_t *p = payload;

	if (p == NULL || v == NULL)
		return AW_TRS_E_BAD_ARG;
	if (len < AW_TRS_MIN_LEN)
		return AW_TRS_E_TRUNCATED;
	if (p[AW_TRS_OFF_VERSION] != AW_TRS_VERSION)
		return AW_TRS_E_BAD_VERSION;
	if (rd16(p + AW_TRS_OFF_MSG_LEN) != len)
		return AW_TRS_E_LEN_MISMATCH;
	if (!aw_trs_type_known(p[AW_TRS_OFF_TYPE]))
		return AW_TRS_E_UNKNOWN_TYPE;
	aw_trs_hdr_read(p, &v->hdr);
	v->body = p + AW_TRS_HDR_LEN;
	v->body_len = len - AW_TRS_MIN_LEN;
	v->tag = p + len - AW_TRS_TAG_LEN;
	return AW_TRS_OK;
}

size_t
aw_trs_build(void *buf, size_t cap, const struct aw_trs_hdr *h, const void *body, size_t body_len)
{
	uint8_t *b = buf;
	struct aw_trs_hdr w = *h;
	size_t total;

	if (body_len > AW_TRS_MAX_LEN - AW_TRS_MIN_LEN)
		return 0;
	total = AW_TRS_MIN_LEN + body_len;
	if (b == NULL || total > cap)
		return 0;
	if (body != NULL)
		memmove(b + AW_TRS_HDR_LEN, body, body_len);
	else
		memset(b + AW_TRS_HDR_LEN, 0, body_len);
	w.version = AW_TRS_VERSION;
	w.msg_len = (uint16_t)total;
	aw_trs_hdr_write(b, &w);
	memset(b + AW_TRS_HDR_LEN + body_len, 0, AW_TRS_TAG_LEN);
	return total;
}
