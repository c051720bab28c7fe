"""The web app: a REST API and server-rendered pages over what the stages stored. Reads never load a model;
only an upload (POST /api/articles) runs the pipeline, through the same runner as the CLI."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
