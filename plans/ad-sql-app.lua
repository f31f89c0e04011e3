-- Active Directory, then SQL Server, then the line-of-business application on Windows. A person approves
-- before the application starts: the database must be consistent first. Explicit source server ids.
local checks = require "drs.checks"
local hooks = require "lib.hooks"

local windows = { platform = "windows" }

return plan {
  name = "erp",
  description = "ERP on Windows: domain controllers, SQL Server, application servers",
  region = "eu-west-1",
  account = "111122223333",
  rto_target = "2h",
  rpo_target = "15m",
  notify = {
    sns = "arn:aws:sns:eu-west-1:111122223333:erp-dr",
    events = { "approval_requested", "wave_failed", "execution_completed" },
  },
  snapshot = "latest",

  waves = {
    wave "directory" {
      description = "Two domain controllers",
      servers = { "s-0a1b2c3d4e5f60718", "s-0a1b2c3d4e5f60719" },
      launch = { copy_private_ip = true, launch_disposition = "STARTED" },
      after = function(w)
        w:expect(checks.service_active(w, "NTDS", windows), "Active Directory Domain Services")
        w:expect(checks.dns_resolves(w, "erp.corp.example.com", windows), "domain name resolves")
      end,
    },
    wave "sql" {
      depends_on = "directory",
      servers = { "s-1a1b2c3d4e5f60718" },
      launch = { instance_type = "r5.2xlarge", copy_private_ip = true, os_byol = true },
      timeout = "45m",
      after = hooks.all(
        hooks.service_up("MSSQLSERVER", windows),
        function(w)
          w:expect(checks.disk_free(w, { path = "D", min_free_percent = 15, platform = "windows" }), "data disk free")
        end),
      on_failure = { policy = "retry(1)", run = function(w) w:notify("SQL Server wave failed: " .. tostring(w.error)) end },
    },
    wave "application" {
      depends_on = { "sql" },
      servers = { "s-2a1b2c3d4e5f60718", "s-2a1b2c3d4e5f60719", "s-2a1b2c3d4e5f6071a" },
      approval = {
        message = "Confirm SQL Server finished recovery and the ERP database is consistent",
        timeout = "4h",
        approvers = { "dba-oncall" },
      },
      after = hooks.http_healthy({ port = 443, path = "/erp/health", platform = "windows", timeout = "15m" }),
    },
  },
}
