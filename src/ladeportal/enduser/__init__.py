"""The end-user app's domain: long-lived app sessions on a phone, the member's app identity (an id
tag for remote starts), the places a member may charge at, starting and stopping from the phone,
the live session and the member's history."""
