"""The inter-department exchange (DCI / G2P Connect shaped): other departments ask whether a
person receives social assistance (sync or async search) and subscribe to be told when it
changes. Fed by the recipient projection of the eligibility events."""
