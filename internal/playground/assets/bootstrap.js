// Starts GraphiQL on #graphiql against the endpoint in its data-endpoint
// attribute (subscriptions over the same URL as a WebSocket). A ?query=
// parameter opens with that query. It is a file of its own, not an inline
// script, so that the page's Content-Security-Policy can be
// script-src 'self'.
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  var url = new URL(root.getAttribute('data-endpoint'), window.location.href);
  var ws = new URL(url.href);
  ws.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  var props = {
    fetcher: GraphiQL.createFetcher({ url: url.href, subscriptionUrl: ws.href }),
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: false
  };
  var query = new URLSearchParams(window.location.search).get('query');
  if (query) {
    props.query = query;
  }
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
