-- Conversations of the public reception assistant (智能接待) and their turns.
--
-- A conversation is addressed by a random id that only the citizen's chat knows. Its
-- dialogue state is stored twice: `state` with personal data masked, which staff and the
-- API may read, and `restricted_state` with the citizen's own words, which the assistant
-- needs to hand the complete request to intake. `restricted_state` is cleared when the
-- request is submitted or the citizen cancels.

CREATE TABLE reception_conversations (
    id TEXT PRIMARY KEY,
    -- 'zh-CN' or 'en', the language of the latest turn.
    lang TEXT NOT NULL,
    -- The dialogue phase, such as 'idle', 'collecting' or 'confirming'.
    phase TEXT NOT NULL,
    -- The dialogue state as JSON, personal data masked.
    state TEXT NOT NULL,
    -- The dialogue state as JSON in the citizen's words; NULL once no longer needed.
    restricted_state TEXT,
    -- The request this conversation created.
    request_id INTEGER REFERENCES requests (id),
    -- When the assistant offered a person to talk to and recorded it for staff.
    handoff_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE UNIQUE INDEX reception_conversations_request_idx ON reception_conversations (request_id)
    WHERE request_id IS NOT NULL;
CREATE INDEX reception_conversations_handoff_idx ON reception_conversations (handoff_at)
    WHERE handoff_at IS NOT NULL;

CREATE TABLE reception_turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES reception_conversations (id),
    -- 'citizen' or 'assistant'.
    speaker TEXT NOT NULL CHECK (speaker IN ('citizen', 'assistant')),
    -- The text with personal data masked, as request text is.
    text TEXT NOT NULL,
    -- The intent the assistant recognised in a citizen's turn, such as 'complaint'.
    intent TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX reception_turns_conversation_idx ON reception_turns (conversation_id, id);
