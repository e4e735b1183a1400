# microscanner's own image: the static binary alone, FROM scratch (docs/in-image.md).
#
#   bash scripts/build-static.sh && podman build -t microscanner .      (or docker build)
#   podman run --rm -v "$PWD:/work" microscanner scan /work/image.tar
#
# The builder stage copies in the binary scripts/build-static.sh made (target/static/microscanner,
# with its sha256 beside it) rather than compiling it: the machines this project is built on have
# no registry to pull a rust image from. Where one is reachable, the builder stage can compile it
# instead; docs/in-image.md ("Building the image") shows that stage (FROM rust:1.95-bookworm,
# RUSTFLAGS="-C target-feature=+crt-static", cargo build --profile in-image).
FROM scratch AS build
COPY target/static/microscanner target/static/microscanner.sha256 /out/

# The image: nothing but the binary. No shell, no libc, no CA store: the binary is static, TLS is
# rustls, and names are resolved without glibc's NSS. Other images take the binary from here:
#   COPY --from=microscanner /microscanner /microscanner
FROM scratch
COPY --from=build /out/microscanner /out/microscanner.sha256 /
ENTRYPOINT ["/microscanner"]
CMD ["--help"]
