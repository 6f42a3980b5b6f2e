# The reference server and the harness in a container: `docker compose up --build` uses it, and on
# Kubernetes it runs both roles of a distributed run (`archmesh kubernetes manifests`): the coordinator
# (`archmesh run --workers N --external-workers`) and the workers (`archmesh worker`).
FROM swift:6.2-bookworm AS build
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
RUN swift build -c release --product archmesh \
    && mkdir /out \
    && cp "$(swift build -c release --show-bin-path)/archmesh" /out/ \
    && cp -R "$(swift build -c release --show-bin-path)"/*.resources /out/

FROM swift:6.2-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends postgresql && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
ENTRYPOINT ["archmesh"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
