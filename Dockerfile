# varshare service image: gunicorn over the Flask app, configured entirely by VARSHARE_* variables.
#   docker build -t varshare .
#   docker run --rm -e VARSHARE_DATABASE_URL=postgresql+psycopg://... -e VARSHARE_LINKAGE_DATABASE_URL=... \
#       -e VARSHARE_LINKAGE_KEY=... varshare varshare db upgrade        # once per release
#   docker run -p 8080:8080 -e ... varshare                              # then serve
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY .ci/constraints.txt ./constraints.txt
COPY app ./app
RUN pip install --no-cache-dir --prefix=/install -c constraints.txt .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VARSHARE_MODE=production VARSHARE_DATA_DIR=/var/lib/varshare \
    VARSHARE_FHIR_PROFILES_DIR=/usr/local/share/varshare/fhir_profiles
RUN groupadd --system varshare && useradd --system --gid varshare --home-dir /var/lib/varshare varshare \
    && mkdir -p /var/lib/varshare && chown varshare:varshare /var/lib/varshare
COPY --from=build /install /usr/local
COPY fhir_profiles /usr/local/share/varshare/fhir_profiles
USER varshare
WORKDIR /var/lib/varshare
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"
# SIGTERM: gunicorn finishes in-flight requests for up to 20 s; give it longer (docker stop -t 30).
STOPSIGNAL SIGTERM
CMD ["varshare", "serve", "--host", "0.0.0.0", "--port", "8080", "--workers", "2"]
