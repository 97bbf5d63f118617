# The cablecare worker image (docker-compose.yml `worker`). `cablecare worker` reads
# TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (and TLS/API key) and DATABASE_URL from the environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project. Installed in place (-e): the policy files, migrations/ and data/ are found
# relative to the repository root (cablecare.REPO_ROOT), which is /app here.
COPY . .
# Bytecode compiled once here: PYTHONDONTWRITEBYTECODE stops the running worker from writing
# .pyc files (read-only image), and without them every process compiles every module and each
# new workflow sandbox compiles its workflow module again (+31 % worker CPU per new case).
RUN pip install --no-deps -e . \
    && python -m compileall -q cablecare workflows activities worker starter migrations \
    && useradd --system --uid 10001 --home-dir /app cablecare \
    && mkdir -p /app/var && chown cablecare /app/var

USER cablecare
# SIGTERM (docker stop) makes the worker finish running activities, then exit.
STOPSIGNAL SIGTERM
CMD ["cablecare", "worker"]
