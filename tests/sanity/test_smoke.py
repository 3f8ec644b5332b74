"""Smoke checks: the frontend answers the APIv3 root and is connected to its database."""

import requests


def test_api_root_answers_version_3(frontend_url):
    response = requests.get(f"{frontend_url}/api_3/", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"version": 3}


def test_frontend_has_migrated_schema(frontend_url):
    health = requests.get(f"{frontend_url}/health", timeout=10).json()
    assert health["schema"], health
    assert health["fe_be_api"] >= 1, health
