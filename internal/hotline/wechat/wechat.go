// Package wechat is the WeChat official-account adapter: it receives user
// messages through the message-push protocol (signature, XML, encrypted
// mode), routes them into the chat queue, and replies through the
// customer-service message API behind an interface.
package wechat

// Service is the wechat part of the hotline station.
type Service struct{}
