"""Who is acting: verified staff identity on every message that acts for a person (issue 10).

- `actor`: the verified actor and the Temporal header that carries its token;
- `keys`: the append-only archive of every signing key the workers ever trusted;
- `verify`: token verification as a pure function of (token, archive, workflow time);
- `acting`: which field of which message names the person acting;
- `services`: service identities (a CRM, the worker itself) and what each may do;
- `issuer`: the local issuer of `cablecare dev` and `cablecare token issue`;
- `client`: the client interceptor that puts the caller's token on every message.
No crypto is written here: signatures are PyJWT's (with `cryptography`).
"""
