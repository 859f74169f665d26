"""/metrics: Prometheus reads requests by route and status, job durations and failures, the jobs
waiting and the matching runs by status, with its own bearer token; without one there is none."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from placements.app import create_app
from placements.clock import now
from placements.jobs.models import JobRecord, JobStatus
from placements.metrics import job_ended
from placements.settings import get_settings
from tests.support import serving_client

TOKEN = "scrape-" + "x" * 25


async def test_prometheus_reads_requests_jobs_and_runs_with_its_own_token(db):
    # A job waiting since 90 s ago, due later so that nothing runs it during the test.
    db.add(
        JobRecord(
            name="nightly_export",
            status=JobStatus.QUEUED,
            created_at=now() - timedelta(seconds=90),
            due_at=now() + timedelta(hours=1),
        )
    )
    await db.commit()
    job_ended("nightly_export", "failed", 0.2)
    app = create_app(dataclasses.replace(get_settings(), metrics_token=TOKEN))
    async with serving_client(app) as client:
        assert (await client.page("/sign-in")).status_code == 200
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/metrics", headers={"authorization": "Bearer wrong"})).status_code == 401
        scraped = await client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert (
        'placements_requests_total{app_name="placements",method="GET",path="/sign-in",status_code="200"}'
        in text
    )
    assert "placements_request_duration_seconds_bucket" in text
    assert 'placements_jobs{job="nightly_export",status="queued"} 1.0' in text
    assert 'placements_job_failures_total{job="nightly_export"} 1.0' in text
    assert 'placements_job_seconds_count{job="nightly_export",outcome="failed"} 1.0' in text
    oldest = next(
        line for line in text.splitlines() if line.startswith("placements_oldest_queued_job_seconds ")
    )
    assert float(oldest.split()[1]) >= 90
    assert "# TYPE placements_match_runs gauge" in text
    assert "/metrics" not in {
        line.split('path="')[1].split('"')[0] for line in text.splitlines() if 'path="' in line
    }


async def test_without_a_token_there_is_no_metrics_page(client):
    assert (await client.get("/metrics")).status_code == 404
