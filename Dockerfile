# The code location image of hut-availability-pipeline: our code, Dagster, and the commands of the
# three long-lived processes (`hut-availability deploy code-server | webserver | daemon`, the same
# commands hut_availability_pipeline_tests/test_defs_deploy.py runs as separate processes).
# docker-compose.yaml runs all three from this image; Dagster's Helm chart runs its code server
# (deploy/helm/values.yaml). NOT built or run on the development machines (no container engine
# there): test_deploy_files.py checks what it can (the commands exist, the variables are settings).
#
#   docker build -t hut-availability-pipeline:0.1.0 .
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    HUT_AVAILABILITY_HOME=/opt/dagster/hut-availability

RUN useradd --create-home --uid 10001 dagster \
    && mkdir -p /opt/dagster/dagster_home /opt/dagster/hut-availability \
    && chown -R dagster /opt/dagster

# An editable install: dagster.yaml and deploy/workspace.yaml are found beside the package, as in a
# source checkout (`hut-availability deploy` copies dagster.yaml into DAGSTER_HOME when it has none).
WORKDIR /opt/hut-availability-pipeline
COPY pyproject.toml README.md dagster.yaml workspace.yaml ./
COPY sql ./sql
COPY deploy/workspace.yaml ./deploy/workspace.yaml
COPY hut_availability_pipeline ./hut_availability_pipeline
RUN pip install -e .

USER dagster
# 4000: the code server (gRPC), 3000: the webserver
EXPOSE 4000 3000
# No ENTRYPOINT: Dagster's Helm chart gives the container its own arguments
# (`dagster code-server start ...`), and docker-compose.yaml its role's command.
CMD ["hut-availability", "deploy", "code-server", "--host", "0.0.0.0"]
