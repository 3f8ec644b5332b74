"""What a stack is built from: RPMs built from the specs (packages), the images (images), SRPM
fixtures (srpms) and reproducible tarballs (archive)."""
