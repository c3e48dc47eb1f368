# ses_evolution.firewall:read_state
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# One round trip for everything the role decides on: the rules it manages or
# may adopt, the firewall profiles' effective outbound action, and the SES
# Evolution entries of the uninstall registry. Read only.
# The first line is the marker by which the test simulator recognises this script.
[CmdletBinding()]
param (
    [Parameter(Mandatory = $true)][string]$Group,
    [Parameter(Mandatory = $true)][string]$Prefix,
    [string[]]$InstallerNames = @()
)
$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# Installer rule names are compared with whitespace and case ignored (the
# vendor's page prints "EvolutionBackend" where the product may use a space).
$squashed = @($InstallerNames | ForEach-Object { ($_ -replace '\s', '').ToLowerInvariant() })

# The COM object, as community.windows.win_firewall_rule uses: its Name is the
# rule's DisplayName, which is what that module matches on.
$fw = New-Object -ComObject HNetCfg.FwPolicy2
$rules = foreach ($rule in $fw.Rules) {
    $name = "$($rule.Name)"
    if ($rule.Grouping -eq $Group -or $name.StartsWith($Prefix, [StringComparison]::OrdinalIgnoreCase) -or
        $squashed -contains ($name -replace '\s', '').ToLowerInvariant()) {
        [ordered]@{
            Name = $rule.Name
            Grouping = $rule.Grouping
            Description = $rule.Description
            Direction = [int]$rule.Direction
            Action = [int]$rule.Action
            Protocol = [int]$rule.Protocol
            LocalPorts = $rule.LocalPorts
            RemotePorts = $rule.RemotePorts
            LocalAddresses = $rule.LocalAddresses
            RemoteAddresses = $rule.RemoteAddresses
            Enabled = [bool]$rule.Enabled
            Profiles = [int]$rule.Profiles
        }
    }
}

# Effective values (local policy and GPO merged): outbound filtering is on for a
# profile when it is enabled and its default outbound action is Block.
$profiles = foreach ($profile in Get-NetFirewallProfile -PolicyStore ActiveStore) {
    [ordered]@{
        Name = "$($profile.Name)"
        Enabled = "$($profile.Enabled)"
        DefaultInboundAction = "$($profile.DefaultInboundAction)"
        DefaultOutboundAction = "$($profile.DefaultOutboundAction)"
    }
}

# Best effort: no public page documents the components' registry keys, so every
# uninstall entry that names Stormshield is returned and the controller picks.
$keys = @(
    'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\*'
    'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*'
)
$products = foreach ($key in $keys) {
    Get-ItemProperty -Path $key -ErrorAction SilentlyContinue |
        Where-Object { "$($_.DisplayName)" -like '*Stormshield*' -or "$($_.DisplayName)" -like '*SES Evolution*' } |
        ForEach-Object {
            [ordered]@{ DisplayName = $_.DisplayName; DisplayVersion = $_.DisplayVersion; Publisher = $_.Publisher }
        }
}

$Ansible.Result = @{
    rules = @($rules)
    profiles = @($profiles)
    products = @($products)
}
