-- The index behind the request list's free-text filter. `search_terms` holds the search
-- terms of a request's masked title and text (the character pairs of its Chinese text and
-- its other words, as the store computes them), and a GIN index finds the requests whose
-- terms contain all of a query's terms.
--
-- Unlike SQLite's watermark, a NULL marks each request not indexed yet: several nodes
-- insert at once and their ids can commit out of order, so "every id up to N" would skip
-- a request committed late. Requests not indexed yet are searched by scanning their text.

ALTER TABLE requests ADD COLUMN search_terms TEXT[];

CREATE INDEX requests_search_terms_idx ON requests USING GIN (search_terms);
CREATE INDEX requests_unindexed_idx ON requests (id) WHERE search_terms IS NULL;
