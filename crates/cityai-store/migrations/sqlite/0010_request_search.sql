-- A full-text index of the requests' masked titles and texts, for the request list's
-- free-text filter. Each row holds the search terms of one request (rowid = request id):
-- the character pairs of its Chinese text and its other words, as the store writes them.
-- The index is filled in the background; requests above the watermark are searched by
-- scanning their text instead.

CREATE VIRTUAL TABLE request_search USING fts5(terms, tokenize = 'unicode61');

CREATE TABLE request_search_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- Every request with an id up to this one is in request_search.
    indexed_through INTEGER NOT NULL
);

INSERT INTO request_search_state (id, indexed_through) VALUES (1, 0);
