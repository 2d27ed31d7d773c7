/* Redis key names. The single place that spells them: change a layout
 * here and in docs/internals/store.md, nowhere else. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "bode/num.h"
#include "store_int.h"

#define PREFIX "bode:{s:%s}:"

/* snprintf(out, BODE_KEY_SIZE, fmt, ...) for the three conversions key
 * names use: %s, %.Ns and %d. An accept builds nine names, and glibc's
 * general formatter doing it was 2.4% of the API's CPU. Cuts the name at
 * BODE_KEY_SIZE - 1 bytes, as snprintf would. */
static void key_fmt(char *out, const char *fmt, ...)
{
    char *o = out;
    char *end = out + BODE_KEY_SIZE - 1;
    char num[24];
    const char *s;
    size_t max;
    va_list ap;

    va_start(ap, fmt);
    for (; *fmt && o < end; fmt++) {
        if (*fmt != '%') {
            *o++ = *fmt;
            continue;
        }
        fmt++;
        max = SIZE_MAX;
        if (*fmt == '.')
            for (max = 0, fmt++; *fmt >= '0' && *fmt <= '9'; fmt++)
                max = max * 10 + (size_t)(*fmt - '0');
        if (*fmt == 'd') {
            num[bode_format_ll(va_arg(ap, int), num)] = '\0';
            s = num;
        } else {
            s = va_arg(ap, const char *);
        }
        for (; *s && max > 0 && o < end; max--)
            *o++ = *s++;
    }
    va_end(ap);
    *o = '\0';
}

void bode_key_service(char *out, const char *sid)
{
    key_fmt(out, PREFIX "svc", sid);
}

void bode_key_services(char *out)
{
    key_fmt(out, "bode:services");
}

void bode_key_apikeys(char *out, const char *sid)
{
    key_fmt(out, PREFIX "keys", sid);
}

void bode_key_team(char *out, const char *sid)
{
    key_fmt(out, PREFIX "team", sid);
}

void bode_key_template(char *out, const char *sid, const char *tid)
{
    key_fmt(out, PREFIX "tpl:%s", sid, tid);
}

void bode_key_template_version(char *out, const char *sid, const char *tid,
                               int version)
{
    key_fmt(out, PREFIX "tpl:%s:v:%d", sid, tid, version);
}

void bode_key_templates(char *out, const char *sid)
{
    key_fmt(out, PREFIX "tpls", sid);
}

void bode_key_notification(char *out, const char *sid, const char *id)
{
    key_fmt(out, PREFIX "n:%s", sid, id);
}

void bode_key_notification_prefix(char *out, const char *sid)
{
    key_fmt(out, PREFIX "n:", sid);
}

void bode_key_index(char *out, const char *sid, const char *key_type)
{
    key_fmt(out, PREFIX "idx:%s", sid, key_type);
}

void bode_key_lane(char *out, const char *sid, const char *channel,
                   const char *lane)
{
    key_fmt(out, PREFIX "q:%s:%s", sid, channel, lane);
}

void bode_key_daily(char *out, const char *sid, const char *channel,
                    const char *day)
{
    key_fmt(out, PREFIX "daily:%s:%s", sid, channel, day);
}

void bode_key_rate(char *out, const char *sid, const char *key_type)
{
    /* "rb": a string since the bucket left its hash; old "rl" hashes
     * just expire. */
    key_fmt(out, PREFIX "rb:%s", sid, key_type);
}

void bode_key_idempotency(char *out, const char *sid, const char *key_hash)
{
    key_fmt(out, PREFIX "idem:%s", sid, key_hash);
}

void bode_key_lane_prefix(char *out, const char *sid)
{
    key_fmt(out, PREFIX "q:", sid);
}

void bode_key_retry(char *out, const char *sid)
{
    key_fmt(out, PREFIX "retry", sid);
}

void bode_key_history(char *out, const char *sid, const char *id)
{
    key_fmt(out, PREFIX "n:%s:h", sid, id);
}

void bode_key_callbacks(char *out, const char *sid)
{
    key_fmt(out, PREFIX "cb", sid);
}

void bode_key_dead(char *out, const char *sid)
{
    key_fmt(out, PREFIX "dead", sid);
}

void bode_key_ref(char *out, const char *provider, const char *ref)
{
    key_fmt(out, "bode:ref:%s:%.100s", provider, ref);
}

void bode_key_callback_retry(char *out, const char *sid)
{
    key_fmt(out, PREFIX "cbretry", sid);
}

void bode_key_open(char *out, const char *sid)
{
    key_fmt(out, PREFIX "open", sid);
}

void bode_key_stats(char *out, const char *sid, const char *day)
{
    key_fmt(out, PREFIX "stats:%s", sid, day);
}

void bode_key_document(char *out, const char *sid, const char *did)
{
    key_fmt(out, PREFIX "doc:%s", sid, did);
}

void bode_key_attachments(char *out, const char *sid, const char *nid)
{
    key_fmt(out, PREFIX "att:%s", sid, nid);
}

void bode_key_token_seen(char *out, const char *sid, const char *sig_hash)
{
    key_fmt(out, PREFIX "jwt:%s", sid, sig_hash);
}

void bode_key_template_redact(char *out, const char *sid, const char *tid)
{
    key_fmt(out, PREFIX "tpl:%s:redact", sid, tid);
}

void bode_key_scheduled(char *out, const char *sid)
{
    key_fmt(out, PREFIX "sched", sid);
}

void bode_key_job(char *out, const char *sid, const char *jid)
{
    key_fmt(out, PREFIX "job:%s", sid, jid);
}

void bode_key_job_ids(char *out, const char *sid, const char *jid)
{
    key_fmt(out, PREFIX "job:%s:ids", sid, jid);
}

void bode_key_job_prefix(char *out, const char *sid)
{
    key_fmt(out, PREFIX "job:", sid);
}

void bode_key_index_prefix(char *out, const char *sid)
{
    key_fmt(out, PREFIX "idx:", sid);
}

void bode_key_senders(char *out, const char *sid, const char *kind)
{
    key_fmt(out, PREFIX "senders:%s", sid, kind);
}

void bode_key_inbound_number(char *out, const char *number)
{
    key_fmt(out, "bode:inbound:%.40s", number);
}

void bode_key_inbound_numbers(char *out, const char *sid)
{
    key_fmt(out, PREFIX "inbound_numbers", sid);
}

void bode_key_received(char *out, const char *sid, const char *id)
{
    key_fmt(out, PREFIX "in:%s", sid, id);
}

void bode_key_received_prefix(char *out, const char *sid)
{
    key_fmt(out, PREFIX "in:", sid);
}

void bode_key_received_index(char *out, const char *sid)
{
    key_fmt(out, PREFIX "inidx", sid);
}

void bode_key_received_ref(char *out, const char *sid, const char *provider,
                           const char *ref)
{
    key_fmt(out, PREFIX "inref:%.16s:%.60s", sid, provider, ref);
}
