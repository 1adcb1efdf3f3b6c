/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ASRS configuration: the keys "asrs", "listeners" and "services" (SPEC §2.1,
 * documented in dataplane/CONFIG.md) and the service / listener object
 * parsers the API shares with them (one parser per object).
 *
 * Contract: main thread at config load, API thread for requests; plain
 * functions on their arguments (no global state). Errors go to c->err as
 * "key.path: what was expected".
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aw_asrs_priv.h"
#include "aw_maglev.h"

void
aw_svc_conf_clear(struct aw_svc_conf *s)
{
	free(s->dests);
	s->dests = NULL;
	s->n_dests = 0;
}

int
aw_asrs_parse_uri(struct aw_jctx *c, json_t *obj, const char *path, const char *key, char *uri,
		  uint16_t *len, uint64_t *sid)
{
	const char *s;
	char p[160], e[128];

	if (aw_jc_get_string(c, obj, path, key, true, &s) < 0)
		return -1;
	aw_jc_subpath(p, sizeof(p), path, key);
	size_t n = json_string_length(json_object_get(obj, key));
	if (aw_uri_check(s, n, e, sizeof(e)) < 0)
		return aw_jc_bad(c, p, "%s", e);
	memcpy(uri, s, n);
	uri[n] = '\0';
	*len = (uint16_t)n;
	*sid = aw_sid_from_uri(s, n);
	return 0;
}

static int
parse_dest(struct aw_jctx *c, json_t *v, const char *path, struct aw_asrs_dest *d)
{
	static const char *const keys[] = {"addr", "port", "priority", "weight", NULL};
	const char *addr;
	char p[160];

	if (!json_is_object(v))
		return aw_jc_bad(c, path, "expected object {addr, port, priority?, weight?}, got %s",
				 aw_jc_type_name(v));
	aw_jc_subpath(p, sizeof(p), path, "addr");
	if (aw_jc_check_keys(c, v, path, keys) < 0 ||
	    aw_jc_get_string(c, v, path, "addr", true, &addr) < 0 ||
	    aw_jc_parse_addr(c, p, addr, &d->addr) < 0 ||
	    AW_JC_GET_U32(c, v, path, "port", 1, 65535, 0, d->port) < 0 ||
	    AW_JC_GET_U32(c, v, path, "priority", 0, 65535, 0, d->priority) < 0 ||
	    AW_JC_GET_U32(c, v, path, "weight", 0, 65535, 100, d->weight) < 0)
		return -1;
	if (d->port == 0)
		return aw_jc_bad(c, path, "port: required key missing");
	return 0;
}

int
aw_asrs_parse_dests(struct aw_jctx *c, json_t *arr, const char *path, struct aw_svc_conf *out)
{
	size_t i;
	json_t *v;
	char p[160];

	out->n_dests = 0;
	out->dests = NULL;
	if (!json_is_array(arr))
		return aw_jc_bad(c, path, "expected array of destinations, got %s", aw_jc_type_name(arr));
	if (json_array_size(arr) > AW_ASRS_MAX_DESTS)
		return aw_jc_bad(c, path, "at most %d destinations, got %zu", AW_ASRS_MAX_DESTS,
				 json_array_size(arr));
	if (json_array_size(arr) == 0)
		return 0;
	out->dests = calloc(json_array_size(arr), sizeof(*out->dests));
	if (out->dests == NULL)
		return aw_jc_bad(c, path, "out of memory");
	json_array_foreach (arr, i, v) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (parse_dest(c, v, p, &out->dests[i]) < 0)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (aw_addr_eq(&out->dests[j].addr, &out->dests[i].addr) &&
			    out->dests[j].port == out->dests[i].port) {
				aw_jc_bad(c, p, "same address and port as %s[%zu]", path, j);
				goto fail;
			}
	}
	out->n_dests = (unsigned)i;
	return 0;
fail:
	aw_svc_conf_clear(out);
	return -1;
}

int
aw_asrs_parse_service(struct aw_jctx *c, json_t *obj, const char *path, struct aw_svc_conf *out)
{
	static const char *const keys[] = {"service", "destinations", NULL};
	json_t *arr;
	char p[160];

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return aw_jc_bad(c, path[0] ? path : "(top level)",
				 "expected object {service, destinations}, got %s", aw_jc_type_name(obj));
	if (aw_jc_check_keys(c, obj, path, keys) < 0 ||
	    aw_asrs_parse_uri(c, obj, path, "service", out->uri, &out->uri_len, &out->sid) < 0 ||
	    aw_jc_get_array(c, obj, path, "destinations", true, AW_ASRS_MAX_DESTS, &arr) < 0)
		return -1;
	aw_jc_subpath(p, sizeof(p), path, "destinations");
	return aw_asrs_parse_dests(c, arr, p, out);
}

int
aw_asrs_parse_listener(struct aw_jctx *c, json_t *obj, const char *path, bool want_svc,
		       struct aw_lsn_conf *out)
{
	static const char *const keys_svc[] = {"vip", "proto", "port", "service", "synproxy", NULL};
	static const char *const keys[] = {"vip", "proto", "port", NULL};
	const char *vip, *proto;
	char p[160];

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return aw_jc_bad(c, path[0] ? path : "(top level)",
				 "expected object {vip, proto, port%s}, got %s",
				 want_svc ? ", service" : "", aw_jc_type_name(obj));
	aw_jc_subpath(p, sizeof(p), path, "vip");
	if (aw_jc_check_keys(c, obj, path, want_svc ? keys_svc : keys) < 0 ||
	    aw_jc_get_string(c, obj, path, "vip", true, &vip) < 0 ||
	    aw_jc_parse_addr(c, p, vip, &out->vip) < 0 ||
	    aw_jc_get_string(c, obj, path, "proto", true, &proto) < 0)
		return -1;
	aw_jc_subpath(p, sizeof(p), path, "proto");
	if (strcmp(proto, "tcp") == 0)
		out->proto = IPPROTO_TCP;
	else if (strcmp(proto, "udp") == 0)
		out->proto = IPPROTO_UDP;
	else
		return aw_jc_bad(c, p, "expected \"tcp\" or \"udp\", got \"%s\"", proto);
	if (AW_JC_GET_U32(c, obj, path, "port", 1, 65535, 0, out->port) < 0)
		return -1;
	if (out->port == 0) {
		aw_jc_subpath(p, sizeof(p), path, "port");
		return aw_jc_bad(c, p, "required key missing");
	}
	out->synproxy = -1;
	if (want_svc)
		return aw_asrs_parse_lsn_synproxy(c, obj, path, out) < 0 ? -1 :
		       aw_asrs_parse_uri(c, obj, path, "service", out->uri, &out->uri_len, &out->sid);
	return 0;
}

/* A SNAT address must come back to us: a port address or a VIP. */
static int
check_snat_owned(struct aw_jctx *c, const struct aw_asrs_conf *ac, const struct aw_config *cfg)
{
	for (unsigned f = 0; f < 2; f++) {
		const struct aw_addr *list = f ? ac->snat6 : ac->snat4;
		unsigned n = f ? ac->n_snat6 : ac->n_snat4;
		for (unsigned i = 0; i < n; i++) {
			bool ok = false;
			for (unsigned p = 0; p < cfg->n_ports && !ok; p++)
				for (unsigned k = 0; k < cfg->ports[p].n_addrs && !ok; k++)
					ok = aw_addr_eq(&cfg->ports[p].addrs[k].addr, &list[i]);
			for (unsigned v = 0; v < cfg->n_vips && !ok; v++)
				ok = aw_addr_eq(&cfg->vips[v].addr, &list[i]);
			if (!ok) {
				char buf[AW_ADDR_STRLEN];
				return aw_jc_bad(c, "asrs.snat", "%s is neither a port address nor a VIP",
						 aw_addr_format(&list[i], buf, sizeof(buf)));
			}
		}
	}
	return 0;
}

static int
parse_timeouts(struct aw_jctx *c, json_t *asrs, struct aw_asrs_conf *ac)
{
	static const char *const keys[] = {"tcp_syn", "tcp_established", "tcp_closing", "udp", NULL};
	json_t *t = json_object_get(asrs, "timeouts");

	ac->timeout_s[AW_SS_SYN] = 30;
	ac->timeout_s[AW_SS_EST] = 900;
	ac->timeout_s[AW_SS_CLOSING] = 10;
	ac->timeout_s[AW_SS_UDP] = 60;
	if (t == NULL)
		return 0;
	if (!json_is_object(t))
		return aw_jc_bad(c, "asrs.timeouts", "expected object, got %s", aw_jc_type_name(t));
	const char *p = "asrs.timeouts";
	if (aw_jc_check_keys(c, t, p, keys) < 0 ||
	    AW_JC_GET_U32(c, t, p, "tcp_syn", 1, 86400, 30, ac->timeout_s[AW_SS_SYN]) < 0 ||
	    AW_JC_GET_U32(c, t, p, "tcp_established", 1, 604800, 900, ac->timeout_s[AW_SS_EST]) < 0 ||
	    AW_JC_GET_U32(c, t, p, "tcp_closing", 1, 86400, 10, ac->timeout_s[AW_SS_CLOSING]) < 0 ||
	    AW_JC_GET_U32(c, t, p, "udp", 1, 86400, 60, ac->timeout_s[AW_SS_UDP]) < 0)
		return -1;
	return 0;
}

static int
parse_ports_range(struct aw_jctx *c, json_t *asrs, struct aw_asrs_conf *ac)
{
	static const char *const keys[] = {"min", "max", NULL};
	json_t *r = json_object_get(asrs, "snat_ports");

	ac->snat_min = 1024;
	ac->snat_max = 65535;
	if (r == NULL)
		return 0;
	if (!json_is_object(r))
		return aw_jc_bad(c, "asrs.snat_ports", "expected object {min, max}, got %s",
				 aw_jc_type_name(r));
	if (aw_jc_check_keys(c, r, "asrs.snat_ports", keys) < 0 ||
	    AW_JC_GET_U32(c, r, "asrs.snat_ports", "min", 1, 65535, 1024, ac->snat_min) < 0 ||
	    AW_JC_GET_U32(c, r, "asrs.snat_ports", "max", 1, 65535, 65535, ac->snat_max) < 0)
		return -1;
	if (ac->snat_min > ac->snat_max)
		return aw_jc_bad(c, "asrs.snat_ports", "min %u is above max %u", ac->snat_min,
				 ac->snat_max);
	return 0;
}

static int
parse_asrs_obj(struct aw_jctx *c, json_t *asrs, struct aw_asrs_conf *ac)
{
	static const char *const keys[] = {"port", "service_prefix6", "snat", "snat_ports",
					   "max_sessions", "max_services", "timeouts", "synproxy",
					   "new_flow_limit", NULL};
	const char *pfx;
	char e[128];

	if (asrs != NULL && !json_is_object(asrs))
		return aw_jc_bad(c, "asrs", "expected object, got %s", aw_jc_type_name(asrs));
	json_t *o = asrs != NULL ? asrs : json_object();
	int rc = -1;
	if (aw_jc_check_keys(c, o, "asrs", keys) < 0 ||
	    AW_JC_GET_U32(c, o, "asrs", "port", 1, 65535, 6868, ac->port) < 0 ||
	    AW_JC_GET_U32(c, o, "asrs", "max_sessions", 1, 1u << 26, 1048576, ac->max_sessions) < 0 ||
	    AW_JC_GET_U32(c, o, "asrs", "max_services", 1, 1u << 22, 65536, ac->max_services) < 0 ||
	    aw_jc_get_string(c, o, "asrs", "service_prefix6", false, &pfx) < 0 ||
	    aw_asrs_parse_snat(c, o, ac) < 0 || parse_ports_range(c, o, ac) < 0 ||
	    parse_timeouts(c, o, ac) < 0 || aw_asrs_parse_synproxy(c, o, ac) < 0 ||
	    aw_asrs_parse_new_flow_limit(c, o, ac) < 0)
		goto out;
	if (pfx != NULL) {
		if (aw_network_parse(pfx, &ac->prefix6, e, sizeof(e)) < 0) {
			aw_jc_bad(c, "asrs.service_prefix6", "%s", e);
			goto out;
		}
		if (ac->prefix6.addr.family != AW_AF_INET6 || ac->prefix6.len != 64) {
			aw_jc_bad(c, "asrs.service_prefix6", "expected an IPv6 /64, got \"%s\"", pfx);
			goto out;
		}
		aw_prefix_mask(&ac->prefix6);
		ac->has_prefix6 = true;
	}
	rc = 0;
out:
	if (asrs == NULL)
		json_decref(o);
	return rc;
}

/* "services": its own loop (not aw_jc_parse_list) so that n_services always
 * counts the elements holding memory, also after an error. */
static int
parse_services(struct aw_jctx *c, json_t *root, struct aw_asrs_conf *ac)
{
	json_t *arr, *v;
	size_t i;
	char p[64];

	if (aw_jc_get_array(c, root, "", "services", false, 1u << 22, &arr) < 0)
		return -1;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	ac->services = calloc(json_array_size(arr), sizeof(*ac->services));
	if (ac->services == NULL)
		return aw_jc_bad(c, "services", "out of memory");
	json_array_foreach (arr, i, v) {
		snprintf(p, sizeof(p), "services[%zu]", i);
		if (aw_asrs_parse_service(c, v, p, &ac->services[i]) < 0)
			return -1;
		ac->n_services++;
	}
	return 0;
}

static int
listener_elem(struct aw_jctx *c, json_t *v, const char *path, const struct aw_config *cfg,
	      void *out)
{
	(void)cfg;
	return aw_asrs_parse_listener(c, v, path, true, out);
}

static int
check_duplicates(struct aw_jctx *c, const struct aw_asrs_conf *ac)
{
	char p[64];

	for (unsigned i = 0; i < ac->n_services; i++)
		for (unsigned j = 0; j < i; j++)
			if (ac->services[i].sid == ac->services[j].sid) {
				snprintf(p, sizeof(p), "services[%u].service", i);
				return aw_jc_bad(c, p, "same service as services[%u]", j);
			}
	for (unsigned i = 0; i < ac->n_listeners; i++)
		for (unsigned j = 0; j < i; j++) {
			const struct aw_lsn_conf *a = &ac->listeners[i], *b = &ac->listeners[j];
			if (aw_addr_eq(&a->vip, &b->vip) && a->proto == b->proto && a->port == b->port) {
				snprintf(p, sizeof(p), "listeners[%u]", i);
				return aw_jc_bad(c, p, "same vip, proto and port as listeners[%u]", j);
			}
		}
	if (ac->n_services > ac->max_services)
		return aw_jc_bad(c, "services", "%u services exceed asrs.max_services %u",
				 ac->n_services, ac->max_services);
	return 0;
}

int
aw_asrs_config_parse(struct aw_jctx *c, json_t *root, struct aw_config *cfg)
{
	json_t *asrs = json_object_get(root, "asrs");

	cfg->feat_conf[AW_FEAT_ASRS] = NULL;
	if (asrs == NULL && json_object_get(root, "listeners") == NULL &&
	    json_object_get(root, "services") == NULL)
		return 0;
	struct aw_asrs_conf *ac = calloc(1, sizeof(*ac));
	if (ac == NULL)
		return aw_jc_bad(c, "asrs", "out of memory");
	cfg->feat_conf[AW_FEAT_ASRS] = ac; /* freed by aw_config_free also on error */
	if (parse_asrs_obj(c, asrs, ac) < 0 ||
	    parse_services(c, root, ac) < 0 ||
	    aw_jc_parse_list(c, root, "listeners", AW_ASRS_MAX_LISTENERS,
			     sizeof(struct aw_lsn_conf), listener_elem, cfg,
			     (void **)&ac->listeners, &ac->n_listeners) < 0 ||
	    check_snat_owned(c, ac, cfg) < 0 || check_duplicates(c, ac) < 0)
		return -1;
	return 0;
}

void
aw_asrs_config_free(struct aw_asrs_conf *ac)
{
	if (ac == NULL)
		return;
	for (unsigned i = 0; i < ac->n_services; i++)
		aw_svc_conf_clear(&ac->services[i]);
	free(ac->services);
	free(ac->listeners);
	free(ac);
}
