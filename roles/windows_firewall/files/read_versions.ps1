# ses_evolution.firewall:read_versions
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# The uninstall registry entries that may tell the installed SES Evolution
# versions, for the role's version facts and the cleanup gate. Read only, and
# apart from the firewall read (read_state.ps1) so that a failure says which of
# the two failed. No public page documents the components' entries: every entry
# that names Stormshield (by name or publisher) is returned with what the
# controller needs to judge it (plugins/plugin_utils/windows_versions.py).
# The first line is the marker by which the test simulator recognises this script.
[CmdletBinding()]
param ()
$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

$keys = @(
    'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall'
    'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall'
)
$products = foreach ($key in $keys) {
    # The 32-bit view is missing on 32-bit Windows: no entries there, not an error.
    if (-not (Test-Path -LiteralPath $key)) { continue }
    foreach ($item in Get-ChildItem -LiteralPath $key) {
        $entry = Get-ItemProperty -LiteralPath $item.PSPath
        $name = "$($entry.DisplayName)"
        $publisher = "$($entry.Publisher)"
        if ($name -like '*Stormshield*' -or $name -like '*SES Evolution*' -or $publisher -like '*Stormshield*') {
            [ordered]@{
                DisplayName = $name
                DisplayVersion = "$($entry.DisplayVersion)"
                Publisher = $publisher
                SystemComponent = "$($entry.SystemComponent)"
                ParentKeyName = "$($entry.ParentKeyName)"
                HasUninstallString = -not [string]::IsNullOrEmpty("$($entry.UninstallString)")
                Key = "$($item.Name)"
            }
        }
    }
}

$Ansible.Result = @{ products = @($products) }
