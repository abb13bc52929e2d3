/**
 * The sender identity a campaign's mail goes out with, as one JSON object shaped as domain/delivery/sender.ts's
 * SenderSettings: each field the campaign's override where it sets one, else the client's. Used in a
 * query that joins `campaigns c` to `clients cl`, so activation and delivery read it the same way.
 */
export const EFFECTIVE_SENDER_SQL = `json_build_object(
    'from_email', coalesce(nullif(btrim(c.sender_from_email), ''), nullif(btrim(cl.sender_from_email), '')),
    'from_name', coalesce(nullif(btrim(c.sender_from_name), ''), nullif(btrim(cl.sender_from_name), '')),
    'reply_to', coalesce(nullif(btrim(c.sender_reply_to), ''), nullif(btrim(cl.sender_reply_to), '')),
    'postal_address', coalesce(nullif(btrim(c.postal_address), ''), nullif(btrim(cl.postal_address), '')))`;
