-- The company requires a login code from an authenticator app of every account of its cabinet
-- (its own and its named admins'): an account without one sets it up at its next login, before
-- anything of the cabinet opens.
ALTER TABLE partners ADD COLUMN second_factor_required INTEGER NOT NULL DEFAULT 0;

-- What a login waiting behind the cookie waits for: 'code' (the account's code) or 'setup' (a
-- code required and none set up yet: the setup, then the session).
ALTER TABLE login_challenges ADD COLUMN purpose TEXT NOT NULL DEFAULT 'code';
