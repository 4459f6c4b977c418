// Package vuln matches the asset inventory against known vulnerabilities
// published as CSAF 2.0 advisories (as CISA publishes its ICS advisories):
// a loader of CSAF documents (products from branches, full product names
// and relationships; vulnerabilities with CVE, CVSS v3, product status and
// remediations), a parser of the version ranges advisories write (vers:
// strings, CISA's vers:all/<V… hybrid, bare constraints, free text), a
// comparison of firmware versions, a matcher of assets (vendor, model or
// order number, firmware) against advisory products, and the
// vulnerability.known findings.
//
// It reads files only; it makes no network requests.
package vuln
