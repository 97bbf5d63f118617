"""The certification register as a case sees it (R8.1, (七)2c, (八)): pure, sandbox-safe."""
