# ses_evolution.firewall:read_state
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# One round trip for the firewall state the role decides on: the rules it
# manages or may adopt and the firewall profiles' effective settings. Read
# only. The SES versions are read apart, by read_versions.ps1.
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
# profile when it is enabled and its default outbound action is Block; local
# rules count only where the policy applies them.
$profiles = foreach ($profile in Get-NetFirewallProfile -PolicyStore ActiveStore) {
    [ordered]@{
        Name = "$($profile.Name)"
        Enabled = "$($profile.Enabled)"
        DefaultInboundAction = "$($profile.DefaultInboundAction)"
        DefaultOutboundAction = "$($profile.DefaultOutboundAction)"
        # Group Policy "Apply local firewall rules": False means the rules of the
        # local store (the role's) are kept but not enforced on this profile.
        AllowLocalFirewallRules = "$($profile.AllowLocalFirewallRules)"
    }
}

$Ansible.Result = @{
    rules = @($rules)
    profiles = @($profiles)
}
