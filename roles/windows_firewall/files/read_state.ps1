# ses_evolution.firewall:read_state
# Copyright (c) ses_evolution.firewall contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# One round trip for the firewall state the role decides on: the rules it
# manages or may adopt and the firewall profiles' effective settings. Read
# only. The SES versions are read apart, by read_versions.ps1. The same script,
# so that the rules and profiles are read one way, serves the capture playbook
# (windows_facts.yml, -Capture) and the drift audit (-Exposure).
# The first line is the marker by which the test simulator recognises this script.
[CmdletBinding()]
param (
    [Parameter(Mandatory = $true)][string]$Group,
    [Parameter(Mandatory = $true)][string]$Prefix,
    [string[]]$InstallerNames = @(),
    # The capture: also the rules whose name, group, description, program or service
    # contains one of these words (the installer's real names are what a capture finds
    # out), and the profiles as Group Policy alone sets them.
    [string[]]$Keywords = @(),
    [switch]$Capture,
    # The drift audit: every enabled inbound allow rule, whoever made it (the
    # collection, the SES installer, an administrator, a GPO), instead of the above.
    [switch]$Exposure
)
$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# Installer rule names are compared with whitespace and case ignored (the
# vendor's page prints "EvolutionBackend" where the product may use a space).
$squashed = @($InstallerNames | ForEach-Object { ($_ -replace '\s', '').ToLowerInvariant() })

function Test-Keyword($rule) {
    foreach ($word in $Keywords) {
        foreach ($text in @($rule.Name, $rule.Grouping, $rule.Description, $rule.ApplicationName, $rule.ServiceName)) {
            if ("$text".IndexOf($word, [StringComparison]::OrdinalIgnoreCase) -ge 0) { return $true }
        }
    }
    return $false
}

function Test-Selected($rule) {
    if ($Exposure) {
        # Direction 1 = inbound, Action 1 = allow: only these can open a port.
        return [bool]($rule.Enabled -and [int]$rule.Direction -eq 1 -and [int]$rule.Action -eq 1)
    }
    $name = "$($rule.Name)"
    return [bool]($rule.Grouping -eq $Group -or $name.StartsWith($Prefix, [StringComparison]::OrdinalIgnoreCase) -or
        $squashed -contains ($name -replace '\s', '').ToLowerInvariant() -or (Test-Keyword $rule))
}

# The COM object, as community.windows.win_firewall_rule uses: its Name is the
# rule's DisplayName, which is what that module matches on; it lists the rules of
# the active policy (local and Group Policy merged). Every property the module
# compares is returned, so a capture can be replayed as it was read.
$fw = New-Object -ComObject HNetCfg.FwPolicy2
$rules = foreach ($rule in $fw.Rules) {
    if (Test-Selected $rule) {
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
            ApplicationName = $rule.ApplicationName
            ServiceName = $rule.ServiceName
            InterfaceTypes = $rule.InterfaceTypes
            IcmpTypesAndCodes = $rule.IcmpTypesAndCodes
            EdgeTraversalOptions = [int]$rule.EdgeTraversalOptions
            SecureFlags = [int]$rule.SecureFlags
        }
    }
}

# Outbound filtering is on for a profile when it is enabled and its default
# outbound action is Block; AllowLocalFirewallRules False means Group Policy
# keeps the local store's rules (the role's) but does not enforce them.
$profileSettings = @('Enabled', 'DefaultInboundAction', 'DefaultOutboundAction', 'AllowInboundRules',
    'AllowLocalFirewallRules', 'AllowLocalIPsecRules', 'AllowUnicastResponseToMulticast', 'NotifyOnListen')

function Read-Profile([string]$Store) {
    foreach ($item in Get-NetFirewallProfile -PolicyStore $Store) {
        $entry = [ordered]@{ Name = "$($item.Name)" }
        foreach ($setting in $profileSettings) { $entry[$setting] = "$($item.$setting)" }
        $entry
    }
}

# ActiveStore: the effective values, local policy and Group Policy merged.
$Ansible.Result = @{
    rules = @($rules)
    profiles = @(Read-Profile 'ActiveStore')
}
if ($Capture) {
    # RSOP: what Group Policy alone sets (NotConfigured elsewhere). A host outside a
    # domain may have no such store: the capture says so rather than failing.
    try { $Ansible.Result.policy = @(Read-Profile 'RSOP') }
    catch { $Ansible.Result.policy_error = "$($_.Exception.Message)" }
}
