/* Redis key names. The single place that spells them: change a layout
 * here and in docs/internals/store.md, nowhere else. */
#include <stdio.h>

#include "store_int.h"

#define PREFIX "bode:{s:%s}:"

void bode_key_service(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "svc", sid);
}

void bode_key_services(char *out)
{
    snprintf(out, BODE_KEY_SIZE, "bode:services");
}

void bode_key_apikeys(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "keys", sid);
}

void bode_key_team(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "team", sid);
}

void bode_key_template(char *out, const char *sid, const char *tid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "tpl:%s", sid, tid);
}

void bode_key_template_version(char *out, const char *sid, const char *tid,
                               int version)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "tpl:%s:v:%d", sid, tid, version);
}

void bode_key_templates(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "tpls", sid);
}

void bode_key_notification(char *out, const char *sid, const char *id)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "n:%s", sid, id);
}

void bode_key_notification_prefix(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "n:", sid);
}

void bode_key_index(char *out, const char *sid, const char *key_type)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "idx:%s", sid, key_type);
}

void bode_key_lane(char *out, const char *sid, const char *channel,
                   const char *lane)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "q:%s:%s", sid, channel, lane);
}

void bode_key_daily(char *out, const char *sid, const char *channel,
                    const char *day)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "daily:%s:%s", sid, channel, day);
}

void bode_key_rate(char *out, const char *sid, const char *key_type)
{
    /* "rb": a string since the bucket left its hash; old "rl" hashes
     * just expire. */
    snprintf(out, BODE_KEY_SIZE, PREFIX "rb:%s", sid, key_type);
}

void bode_key_idempotency(char *out, const char *sid, const char *key_hash)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "idem:%s", sid, key_hash);
}

void bode_key_lane_prefix(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "q:", sid);
}

void bode_key_retry(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "retry", sid);
}

void bode_key_history(char *out, const char *sid, const char *id)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "n:%s:h", sid, id);
}

void bode_key_callbacks(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "cb", sid);
}

void bode_key_dead(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "dead", sid);
}

void bode_key_ref(char *out, const char *provider, const char *ref)
{
    snprintf(out, BODE_KEY_SIZE, "bode:ref:%s:%.100s", provider, ref);
}

void bode_key_callback_retry(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "cbretry", sid);
}

void bode_key_open(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "open", sid);
}

void bode_key_stats(char *out, const char *sid, const char *day)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "stats:%s", sid, day);
}

void bode_key_document(char *out, const char *sid, const char *did)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "doc:%s", sid, did);
}

void bode_key_attachments(char *out, const char *sid, const char *nid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "att:%s", sid, nid);
}

void bode_key_token_seen(char *out, const char *sid, const char *sig_hash)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "jwt:%s", sid, sig_hash);
}

void bode_key_template_redact(char *out, const char *sid, const char *tid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "tpl:%s:redact", sid, tid);
}

void bode_key_scheduled(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "sched", sid);
}

void bode_key_job(char *out, const char *sid, const char *jid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "job:%s", sid, jid);
}

void bode_key_job_ids(char *out, const char *sid, const char *jid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "job:%s:ids", sid, jid);
}

void bode_key_job_prefix(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "job:", sid);
}

void bode_key_index_prefix(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "idx:", sid);
}

void bode_key_senders(char *out, const char *sid, const char *kind)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "senders:%s", sid, kind);
}

void bode_key_inbound_number(char *out, const char *number)
{
    snprintf(out, BODE_KEY_SIZE, "bode:inbound:%.40s", number);
}

void bode_key_inbound_numbers(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "inbound_numbers", sid);
}

void bode_key_received(char *out, const char *sid, const char *id)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "in:%s", sid, id);
}

void bode_key_received_prefix(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "in:", sid);
}

void bode_key_received_index(char *out, const char *sid)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "inidx", sid);
}

void bode_key_received_ref(char *out, const char *sid, const char *provider,
                           const char *ref)
{
    snprintf(out, BODE_KEY_SIZE, PREFIX "inref:%.16s:%.60s", sid, provider,
             ref);
}
