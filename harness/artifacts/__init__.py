"""What a stack is built from: RPMs built from the specs (packages), the images (images), SRPM
fixtures (srpms) and reproducible tarballs (archive); upstream's Python code as RPMs: its
sources (pysource), dependencies (wheelhouse), the wrapping (pyrpm) and pip on the host (pip)."""
