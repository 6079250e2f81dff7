-- A random token handed to the citizen or client that submitted a request through a live
-- channel, so that they can follow it (Open311 `tokens/{token}`, the reception assistant's
-- status check) without an account. Imported history has none.

ALTER TABLE requests ADD COLUMN public_token TEXT;

CREATE UNIQUE INDEX requests_public_token ON requests (public_token)
    WHERE public_token IS NOT NULL;
