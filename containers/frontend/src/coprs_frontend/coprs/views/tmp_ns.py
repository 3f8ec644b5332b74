"""/tmp/: uploaded SRPMs and specs, for the builder to download (upstream's tmp_ns)."""

import os

import flask

from .. import app


@app.get("/tmp/<tmp>/<filename>")
def uploaded_file(tmp, filename):
    return flask.send_from_directory(os.path.join(app.config["STORAGE_DIR"], tmp), filename)
