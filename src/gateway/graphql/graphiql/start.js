// Starts GraphiQL against this server's /graphql. With authentication on (the default), put a
// key in the Headers tab: {"authorization": "Bearer <your API key>"}.
/* global React, ReactDOM, GraphiQL, URL, window, document */
const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).href });
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultEditorToolsVisibility: 'headers',
    defaultHeaders: '{\n  "authorization": "Bearer <your API key>"\n}',
  }),
);
