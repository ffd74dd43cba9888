-- A small demo database shaped like a self-hosted deployment server's.
--
-- spooler.conf (at the repository top) loads this script into an in-memory SQLite database at
-- every collection ([database demo] script = ...), so there is no binary to commit and the dates
-- below, relative to 'now', always fall in the reporting windows. They lie half a day away from
-- each window's edge, and the newest metadata event has a fixed day, so that two collections a
-- few hours apart (`spooler preview`, then `spooler collect`) report the same values. A real installation points
-- [database NAME] path = ... at the product's database file instead, which the spooler opens
-- read-only.
--
-- The tables hold names, e-mail addresses and host names on purpose: the configured queries only
-- ever count them, and the privacy guard would refuse any of them if a query returned one.

CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO settings VALUES
  ('installed_at', datetime('now', '-400 days')),
  ('lets_encrypt_enabled', '1'),
  ('guest_account_enabled', '0'),
  ('builtin_worker_account', 'custom');

CREATE TABLE environments (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO environments (name) VALUES ('Development'), ('Test'), ('Staging'), ('Production'), ('Disaster Recovery');

-- Numbers 1..1000, to generate rows.
CREATE TABLE numbers (n INTEGER PRIMARY KEY);
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1000)
INSERT INTO numbers SELECT n FROM seq;

-- 940 deployment targets: some customers have over 900.
CREATE TABLE machines (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, host TEXT NOT NULL, kind TEXT NOT NULL,
  os TEXT NOT NULL, architecture TEXT NOT NULL, environment_id INTEGER REFERENCES environments(id));
INSERT INTO machines (name, host, kind, os, architecture, environment_id)
SELECT 'web-' || n, 'web-' || n || '.corp.example.com',
       CASE WHEN n <= 520 THEN 'listening_agent' WHEN n <= 800 THEN 'polling_agent' WHEN n <= 830 THEN 'ssh'
            WHEN n <= 880 THEN 'kubernetes' WHEN n <= 910 THEN 'cloud_web_app' WHEN n <= 925 THEN 'cloud_service'
            ELSE 'offline_package_drop' END,
       CASE WHEN n % 3 = 0 THEN 'linux' WHEN n % 17 = 0 THEN 'macos' ELSE 'windows' END,
       CASE WHEN n % 11 = 0 THEN 'aarch64' ELSE 'x86_64' END,
       1 + n % 5
FROM numbers WHERE n <= 940;

CREATE TABLE workers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, builtin INTEGER NOT NULL);
INSERT INTO workers (name, builtin) VALUES ('Built-in worker', 1), ('Worker A', 0), ('Worker B', 0), ('Worker C', 0);

CREATE TABLE projects (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT,
  release_note_template TEXT, version_controlled INTEGER NOT NULL DEFAULT 0);
INSERT INTO projects (name, description, release_note_template, version_controlled)
SELECT 'Project ' || n, 'Deploys service number ' || n || ' for the finance team',
       CASE WHEN n % 4 = 0 THEN '#{Octopus.Release.Notes}' END, CASE WHEN n % 5 = 0 THEN 1 ELSE 0 END
FROM numbers WHERE n <= 42;

CREATE TABLE channels (id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects(id), name TEXT NOT NULL);
INSERT INTO channels (project_id, name) SELECT id, 'Default' FROM projects;
INSERT INTO channels (project_id, name) SELECT id, 'Hotfix' FROM projects WHERE id % 3 = 0;

-- Steps of the deployment processes: built-in types, and community (third-party) templates.
CREATE TABLE steps (
  id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects(id), name TEXT NOT NULL,
  type TEXT NOT NULL, community_template TEXT, structured_config INTEGER NOT NULL DEFAULT 0);
INSERT INTO steps (project_id, name, type, community_template, structured_config)
SELECT 1 + n % 42, 'Step ' || n,
       CASE n % 12 WHEN 0 THEN 'script' WHEN 1 THEN 'package' WHEN 2 THEN 'package' WHEN 3 THEN 'iis'
                   WHEN 4 THEN 'windows_service' WHEN 5 THEN 'kubernetes' WHEN 6 THEN 'helm' WHEN 7 THEN 'terraform'
                   WHEN 8 THEN 'manual_intervention' WHEN 9 THEN 'email' WHEN 10 THEN 'health_check' ELSE 'community' END,
       CASE WHEN n % 12 = 11 THEN
            CASE n % 5 WHEN 0 THEN 'chat_notification' WHEN 1 THEN 'file_cleanup' WHEN 2 THEN 'sql_script'
                       WHEN 3 THEN 'http_check' ELSE 'other' END END,
       CASE WHEN n % 7 = 0 THEN 1 ELSE 0 END
FROM numbers WHERE n <= 310;

CREATE TABLE step_options (step_id INTEGER REFERENCES steps(id), option TEXT NOT NULL);
INSERT INTO step_options SELECT id, 'run_condition' FROM steps WHERE id % 4 = 0;
INSERT INTO step_options SELECT id, 'required' FROM steps WHERE id % 9 = 0;
INSERT INTO step_options SELECT id, 'parallel' FROM steps WHERE id % 6 = 0;
INSERT INTO step_options SELECT id, 'environment_scoped' FROM steps WHERE id % 3 = 0;
INSERT INTO step_options SELECT id, 'tenant_scoped' FROM steps WHERE id % 10 = 0;
INSERT INTO step_options SELECT id, 'run_on_server' FROM steps WHERE id % 8 = 0;
INSERT INTO step_options SELECT id, 'container_image' FROM steps WHERE id % 13 = 0;

CREATE TABLE structured_config_files (step_id INTEGER REFERENCES steps(id), path TEXT NOT NULL, extension TEXT NOT NULL);
INSERT INTO structured_config_files
SELECT id, 'config/appsettings.' || id || '.json', 'json' FROM steps WHERE structured_config = 1;
INSERT INTO structured_config_files
SELECT id, 'deploy/values.yaml', 'yaml' FROM steps WHERE structured_config = 1 AND id % 2 = 0;
INSERT INTO structured_config_files
SELECT id, 'web.config', 'xml' FROM steps WHERE structured_config = 1 AND id % 3 = 0;

CREATE TABLE releases (id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects(id), version TEXT NOT NULL, created_at TEXT NOT NULL);
INSERT INTO releases (project_id, version, created_at)
SELECT 1 + n % 42, '1.' || n || '.0', datetime('now', '-' || (n * 2) || ' days', '+12 hours')
FROM numbers WHERE n <= 180;

CREATE TABLE deployments (
  id INTEGER PRIMARY KEY, release_id INTEGER REFERENCES releases(id),
  environment_id INTEGER REFERENCES environments(id), created_at TEXT NOT NULL);
INSERT INTO deployments (release_id, environment_id, created_at)
SELECT r.id, e.id, datetime(r.created_at, '+' || e.id || ' hours')
FROM releases r JOIN environments e ON e.id <= 1 + r.id % 5;
-- The very first deployment, two days after installation.
INSERT INTO deployments (release_id, environment_id, created_at)
VALUES (1, 1, datetime((SELECT value FROM settings WHERE key = 'installed_at'), '+2 days', '+3 hours'));

CREATE TABLE users (
  id INTEGER PRIMARY KEY, username TEXT NOT NULL, display_name TEXT, email TEXT,
  is_guest INTEGER NOT NULL DEFAULT 0, last_seen_at TEXT);
INSERT INTO users (username, display_name, email, last_seen_at)
SELECT 'user' || n, 'User Number ' || n, 'user' || n || '@corp.example.com', datetime('now', '-' || (n * 3) || ' days', '+12 hours')
FROM numbers WHERE n <= 57;
INSERT INTO users (username, is_guest) VALUES ('guest', 1);

CREATE TABLE tenants (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO tenants (name) SELECT 'Customer ' || n FROM numbers WHERE n <= 23;
CREATE TABLE tenant_tags (id INTEGER PRIMARY KEY, tag_set TEXT NOT NULL, name TEXT NOT NULL);
INSERT INTO tenant_tags (tag_set, name) VALUES
  ('Tier', 'Gold'), ('Tier', 'Silver'), ('Tier', 'Bronze'), ('Region', 'North'), ('Region', 'South'), ('Hosting', 'Shared');

CREATE TABLE certificates (id INTEGER PRIMARY KEY, name TEXT NOT NULL, subject TEXT NOT NULL, thumbprint TEXT NOT NULL);
INSERT INTO certificates (name, subject, thumbprint) VALUES
  ('Wildcard', 'CN=*.corp.example.com', 'A1B2C3'), ('Intranet', 'CN=intranet.corp.example.com', 'D4E5F6'), ('Signing', 'CN=Build Signing', '0A0B0C');

CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, provider TEXT NOT NULL);
INSERT INTO accounts (name, provider) VALUES
  ('Azure subscription (prod)', 'azure'), ('Azure subscription (test)', 'azure'), ('AWS main', 'aws'), ('SSH key', 'ssh_key');

CREATE TABLE issue_trackers (id INTEGER PRIMARY KEY, type TEXT NOT NULL, base_url TEXT, enabled INTEGER NOT NULL);
INSERT INTO issue_trackers (type, base_url, enabled) VALUES
  ('jira', 'https://jira.corp.example.com', 1), ('github', 'https://github.example.com', 1), ('azure_devops', NULL, 0);

CREATE TABLE metadata_events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, created_at TEXT NOT NULL);
INSERT INTO metadata_events (kind, created_at)
SELECT 'build_information', datetime('2025-06-30 12:00:00', '-' || (n * 5) || ' days') FROM numbers WHERE n <= 20;

CREATE TABLE runbooks (id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects(id), name TEXT NOT NULL);
INSERT INTO runbooks (project_id, name) SELECT 1 + n % 42, 'Runbook ' || n FROM numbers WHERE n <= 17;
CREATE TABLE runbook_snapshots (id INTEGER PRIMARY KEY, runbook_id INTEGER REFERENCES runbooks(id), created_at TEXT NOT NULL);
INSERT INTO runbook_snapshots (runbook_id, created_at) SELECT 1 + n % 17, datetime('now', '-' || n || ' days') FROM numbers WHERE n <= 31;
CREATE TABLE runbook_runs (id INTEGER PRIMARY KEY, runbook_id INTEGER REFERENCES runbooks(id), created_at TEXT NOT NULL);
INSERT INTO runbook_runs (runbook_id, created_at) SELECT 1 + n % 17, datetime('now', '-' || n || ' days', '+12 hours') FROM numbers WHERE n <= 150;

CREATE TABLE triggers (id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects(id), runbook_id INTEGER, kind TEXT NOT NULL);
INSERT INTO triggers (project_id, kind) SELECT id, 'scheduled' FROM projects WHERE id % 3 = 0;
INSERT INTO triggers (runbook_id, kind) SELECT id, 'scheduled' FROM runbooks WHERE id % 2 = 0;
